import Type from 'typebox';
import { common, name, port, url } from '../fields.ts';

export const workflowWorkerEnv = Type.Object({
  ...common,
  PORT: port(3200),
  ASSETS_BUCKET: name(),
  DATA_API_INTERNAL_URL: url(),
});

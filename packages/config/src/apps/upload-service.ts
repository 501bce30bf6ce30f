import Type from 'typebox';
import { common, name, port, url } from '../fields.ts';

export const uploadServiceEnv = Type.Object({
  ...common,
  PORT: port(3100),
  ASSETS_BUCKET: name(),
  STATE_MACHINE_ARN: name(),
  DATA_API_INTERNAL_URL: url(),
});

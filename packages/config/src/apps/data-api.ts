import Type from 'typebox';
import { common, name, port, url } from '../fields.ts';

export const dataApiEnv = Type.Object({
  ...common,
  PORT: port(3000),
  INTERNAL_PORT: port(3001),
  ASSETS_TABLE: name(),
  ASSETS_BUCKET: name(),
  REDIS_URL: url(),
});

import Type from 'typebox';
import { common, name, port, url } from '../fields.ts';
import { authKeyProblem, dataApiEnv } from './data-api.ts';

const { AUTH_JWT_SECRET, AUTH_JWKS_URL, AUTH_ISSUER, AUTH_AUDIENCE, SERVICE_AUDIENCE } =
  dataApiEnv.properties;

const variables = Type.Object({
  ...common,
  PORT: port(3100),
  ASSETS_BUCKET: name(),
  STATE_MACHINE_ARN: name(),
  DATA_API_INTERNAL_URL: url(),
  // The same token settings as the data API: users' tokens are verified the same way, and
  // (locally, AUTH_JWT_SECRET) the service token for the data API is minted with that secret.
  AUTH_JWT_SECRET,
  AUTH_JWKS_URL,
  AUTH_ISSUER,
  AUTH_AUDIENCE,
  SERVICE_AUDIENCE,
  /** How long a presigned POST or part URL stays valid. */
  UPLOAD_URL_TTL_SECONDS: Type.Integer({ minimum: 60, maximum: 7 * 86_400, default: 3_600 }),
});

export const uploadServiceEnv: typeof variables = Type.Refine(
  variables,
  (env) => (env.AUTH_JWT_SECRET === undefined) !== (env.AUTH_JWKS_URL === undefined),
  () => authKeyProblem,
);

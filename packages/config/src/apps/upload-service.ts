import Type from 'typebox';
import { authKeyProblem, oneUserKeySource, serviceAuth, userAuth } from '../auth.ts';
import { common, name, port, url } from '../fields.ts';
import { uploadLimit } from '../uploads.ts';

const variables = Type.Object({
  ...common,
  PORT: port(3100),
  ASSETS_BUCKET: name(),
  STATE_MACHINE_ARN: name(),
  DATA_API_INTERNAL_URL: url(),
  // The same token settings as the data API: users' tokens are verified the same way, and the
  // service token for the data API's internal routes is minted with SERVICE_TOKEN_SECRET.
  ...userAuth,
  ...serviceAuth,
  /** How long a presigned POST or part URL stays valid. */
  UPLOAD_URL_TTL_SECONDS: Type.Integer({ minimum: 60, maximum: 7 * 86_400, default: 3_600 }),
  ...uploadLimit,
});

export const uploadServiceEnv: typeof variables = Type.Refine(
  variables,
  oneUserKeySource,
  () => authKeyProblem,
);

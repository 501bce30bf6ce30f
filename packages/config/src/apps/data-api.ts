import Type from 'typebox';
import { authKeyProblem, oneUserKeySource, serviceAuth, userAuth } from '../auth.ts';
import { common, name, port, url } from '../fields.ts';

const seconds = (fallback: number, maximum: number) =>
  Type.Integer({ minimum: 1, maximum, default: fallback });

const variables = Type.Object({
  ...common,
  PORT: port(3000),
  INTERNAL_PORT: port(3001),
  ASSETS_TABLE: name(),
  ASSETS_BUCKET: name(),
  REDIS_URL: url(),
  // Verifies users' tokens on the public routes and service tokens on the internal ones.
  ...userAuth,
  ...serviceAuth,
  /** HMAC key of the list cursors. */
  CURSOR_SECRET: Type.String({ minLength: 32 }),
  CACHE_TTL_SECONDS: seconds(60, 86_400),
  NOT_FOUND_TTL_SECONDS: seconds(5, 600),
  RATE_LIMIT_PER_MINUTE: Type.Integer({ minimum: 1, default: 600 }),
  REDIS_KEY_PREFIX: Type.String({ pattern: '^[A-Za-z0-9:_.-]{0,64}$', default: 'data-api:' }),
  REDIS_COMMAND_TIMEOUT_MS: Type.Integer({ minimum: 10, maximum: 10_000, default: 250 }),
  DOWNLOAD_URL_TTL_SECONDS: seconds(300, 3_600),
  /** A PENDING record never uploaded expires (DynamoDB TTL) after this long. */
  PENDING_TTL_SECONDS: seconds(86_400, 30 * 86_400),
  /**
   * A user's open (PENDING) uploads at most: each `params` or multipart create writes one, and
   * one never uploaded stays until PENDING_TTL_SECONDS; the next create is refused (409).
   */
  MAX_OPEN_UPLOADS: Type.Integer({ minimum: 1, maximum: 10_000, default: 100 }),
  /**
   * Lambda only: ALB events from this target group go to the internal app, all others to the
   * public one. Unset, no event is internal.
   */
  INTERNAL_TARGET_GROUP_ARN: Type.Optional(Type.String({ minLength: 1 })),
});

/** Typed as the plain object (what loadEnv and variablesOf take); the refinement is checked at run time. */
export const dataApiEnv: typeof variables = Type.Refine(variables, oneUserKeySource, () => authKeyProblem);

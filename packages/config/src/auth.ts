import { defaultMaxTokenLifetimeSeconds, localUserIssuer, serviceTokenSeconds } from '@stateless/contracts';
import Type from 'typebox';

/**
 * What every token is checked against unless configured otherwise: the issuer the local minting
 * sets (in AWS, infra gives the identity provider's) and the longest lifetimes. The schema's
 * defaults, and what tests and benches that build a config by hand spread into it.
 */
export const tokenCheckDefaults = {
  AUTH_ISSUER: localUserIssuer,
  AUTH_MAX_TOKEN_LIFETIME_SECONDS: defaultMaxTokenLifetimeSeconds.user,
  SERVICE_TOKEN_MAX_LIFETIME_SECONDS: defaultMaxTokenLifetimeSeconds.service,
};

/**
 * How the apps verify users' tokens: with AUTH_JWT_SECRET (HS256; local and tests) or with the
 * identity provider's AUTH_JWKS_URL (AWS), exactly one (`oneUserKeySource`).
 */
export const userAuth = {
  /** HS256 key of user tokens (local and tests). */
  AUTH_JWT_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  /** The identity provider's key set (AWS). */
  AUTH_JWKS_URL: Type.Optional(Type.String({ pattern: '^https?://.+' })),
  /** Checked on every user token: the identity provider's issuer in AWS, the local one otherwise. */
  AUTH_ISSUER: Type.String({ minLength: 1, default: tokenCheckDefaults.AUTH_ISSUER }),
  AUTH_AUDIENCE: Type.String({ minLength: 1, default: 'stateless-api' }),
  /** The longest lifetime (`exp` − `iat`, seconds) of a user token the app accepts. */
  AUTH_MAX_TOKEN_LIFETIME_SECONDS: Type.Integer({
    minimum: 60,
    maximum: 7 * 86_400,
    default: tokenCheckDefaults.AUTH_MAX_TOKEN_LIFETIME_SECONDS,
  }),
  /**
   * The longest lifetime of a service token the app accepts; at least what our apps mint theirs
   * for. Here, not in `serviceAuth`: only the apps that verify tokens read it.
   */
  SERVICE_TOKEN_MAX_LIFETIME_SECONDS: Type.Integer({
    minimum: serviceTokenSeconds,
    maximum: 86_400,
    default: tokenCheckDefaults.SERVICE_TOKEN_MAX_LIFETIME_SECONDS,
  }),
};

/**
 * Service tokens, which the upload service and the worker mint to call the data API's
 * internal routes and the data API verifies: always HS256 with SERVICE_TOKEN_SECRET, whichever
 * way users' tokens are verified (an identity provider issues tokens to users, not to our apps).
 */
export const serviceAuth = {
  SERVICE_TOKEN_SECRET: Type.String({ minLength: 32 }),
  SERVICE_AUDIENCE: Type.String({ minLength: 1, default: 'stateless-internal' }),
};

/** AUTH_JWT_SECRET and AUTH_JWKS_URL are alternatives: exactly one says how users' tokens are verified. */
export const authKeyProblem =
  'set exactly one of AUTH_JWT_SECRET (HS256 secret, at least 32 characters; local) or AUTH_JWKS_URL (AWS)';

/** The rule across `userAuth`'s variables, for Type.Refine. */
export const oneUserKeySource = (env: { AUTH_JWT_SECRET?: string; AUTH_JWKS_URL?: string }) =>
  (env.AUTH_JWT_SECRET === undefined) !== (env.AUTH_JWKS_URL === undefined);

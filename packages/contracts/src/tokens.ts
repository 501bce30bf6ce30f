import { SignJWT } from 'jose';

/** Defaults shared with the data API's config (AUTH_AUDIENCE, SERVICE_AUDIENCE). */
export const defaultUserAudience = 'stateless-api';
export const defaultServiceAudience = 'stateless-internal';
/**
 * The issuer of the user tokens minted here (`pnpm token`, the dev stack's token, the console's
 * dev sign-in, tests) and the apps' default AUTH_ISSUER: locally the apps check an issuer as they
 * do in AWS, where AUTH_ISSUER names the identity provider (Cognito's user pool URL).
 */
export const localUserIssuer = 'urn:stateless:local-sign-in';
/**
 * The longest lifetime (`exp` − `iat`) the apps accept by default, in seconds: AUTH_MAX_TOKEN_LIFETIME_SECONDS
 * (users: a working day; Cognito's ID tokens live 1 h here) and SERVICE_TOKEN_MAX_LIFETIME_SECONDS (our
 * apps mint theirs for `serviceTokenSeconds`).
 */
export const defaultMaxTokenLifetimeSeconds = { user: 12 * 3600, service: 3600 } as const;

export interface MintOptions {
  /** Default: `localUserIssuer` for a user token, none for a service token; `null` for none. */
  issuer?: string | null;
  audience?: string;
  /** Lifetime, in seconds or as jose's time span ('2h'). Default 1 hour. */
  ttl?: number | string;
}

const sign = async (secret: string, subject: string, audience: string, options: MintOptions, claims = {}) => {
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(subject)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(typeof options.ttl === 'number' ? `${options.ttl}s` : (options.ttl ?? '1h'));
  if (options.issuer) jwt.setIssuer(options.issuer);
  return jwt.sign(new TextEncoder().encode(secret));
};

/** An HS256 user token (the owner is `sub`), for tests, `pnpm token` and the dev stack's devToken. */
export const mintUserToken = (secret: string, userId: string, options: MintOptions = {}) =>
  sign(secret, userId, options.audience ?? defaultUserAudience, {
    ...options,
    issuer: options.issuer === undefined ? localUserIssuer : options.issuer,
  });

/** An HS256 service token for internal routes (audience SERVICE_AUDIENCE). */
export const mintServiceToken = (secret: string, service: string, options: MintOptions = {}) =>
  sign(secret, service, options.audience ?? defaultServiceAudience, options, { kind: 'service' });

/** How long a service token from `serviceTokenSource` lives, and how long before that it is replaced. */
export const serviceTokenSeconds = 300;
const renewBeforeSeconds = 60;

/**
 * An app's service token for the data API, as the internal client's `token`: minted once and
 * reused until a minute before it expires (signing per call would be wasted work), so none
 * expires in flight. Concurrent callers share one minting.
 */
export function serviceTokenSource(
  secret: string,
  service: string,
  options: { audience?: string; now?: () => number } = {},
) {
  const now = options.now ?? Date.now;
  let cached: { token: Promise<string>; renewAt: number } | undefined;
  return () => {
    if (!cached || now() >= cached.renewAt) {
      cached = {
        token: mintServiceToken(secret, service, {
          ttl: serviceTokenSeconds,
          ...(options.audience ? { audience: options.audience } : {}),
        }),
        renewAt: now() + (serviceTokenSeconds - renewBeforeSeconds) * 1000,
      };
    }
    return cached.token;
  };
}

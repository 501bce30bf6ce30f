import { ConfigError } from '@stateless/config';
import { isOneLineText, PublicError } from '@stateless/contracts';
import { createRemoteJWKSet, type JWTVerifyOptions, type JWTVerifyResult, jwtVerify } from 'jose';

export interface AuthSettings {
  AUTH_JWT_SECRET?: string | undefined;
  AUTH_JWKS_URL?: string | undefined;
  AUTH_ISSUER: string;
  AUTH_AUDIENCE: string;
  AUTH_MAX_TOKEN_LIFETIME_SECONDS: number;
  SERVICE_TOKEN_SECRET: string;
  SERVICE_AUDIENCE: string;
  SERVICE_TOKEN_MAX_LIFETIME_SECONDS: number;
}

export interface Principal {
  sub: string;
}

const unauthorized = (message: string) =>
  new PublicError(401, 'Unauthorized', message, { headers: { 'www-authenticate': 'Bearer' } });

/** The bearer token of an Authorization header, or a 401. */
export function bearerOf(header: string | undefined): string {
  if (!header) throw unauthorized('A bearer token is required');
  const match = /^Bearer +([A-Za-z0-9_.~+/-]+=*)$/i.exec(header);
  if (!match?.[1] || match[1].length > 8192)
    throw unauthorized('The Authorization header must be "Bearer <token>"');
  return match[1];
}

/**
 * Verifies user tokens (audience AUTH_AUDIENCE) and service tokens (audience
 * SERVICE_AUDIENCE) with jose. User tokens: an HS256 secret locally, the identity
 * provider's JWKS in AWS. Service tokens: always HS256 with SERVICE_TOKEN_SECRET, which
 * the calling apps hold to mint them (an identity provider issues tokens to users, not
 * to our services). Each audience has its own key and algorithms, so a token for one is
 * refused by the other even when it was signed by the other's key.
 *
 * Every token must say when it was issued and live no longer than its kind's maximum
 * (`exp` − `iat`): a leaked token is good for hours at most, whatever lifetime its
 * signer chose. `iat` may not lie in the future either, or the check would mean nothing.
 *
 * Verified tokens are memoized until they expire (bounded map): verifying is a
 * pure function of the token, so this holds no request state, and it takes
 * signature checks off the hot read path.
 */
export function createVerifier(settings: AuthSettings, maxMemo = 10_000) {
  type Kind = Keys & { audience: string; issuer?: string; maxLifetime: number };
  const kinds: Record<'user' | 'service', Kind> = {
    user: {
      ...userKeys(settings),
      audience: settings.AUTH_AUDIENCE,
      issuer: settings.AUTH_ISSUER,
      maxLifetime: settings.AUTH_MAX_TOKEN_LIFETIME_SECONDS,
    },
    // No issuer: AUTH_ISSUER names the identity provider, which does not issue service tokens.
    service: {
      ...hs256(settings.SERVICE_TOKEN_SECRET),
      audience: settings.SERVICE_AUDIENCE,
      maxLifetime: settings.SERVICE_TOKEN_MAX_LIFETIME_SECONDS,
    },
  };
  const memo = new Map<string, { sub: string; expMs: number }>();

  async function verify(token: string, kind: 'user' | 'service'): Promise<Principal> {
    // Keyed by kind, not audience: a token verified as one kind is never taken for the other,
    // even if both audiences were configured alike.
    const memoKey = `${kind} ${token}`;
    const known = memo.get(memoKey);
    if (known && known.expMs > Date.now()) return { sub: known.sub };
    if (known) memo.delete(memoKey);
    const { check, algorithms, audience, issuer, maxLifetime } = kinds[kind];
    let payload: { sub?: unknown; exp?: unknown; iat?: unknown };
    try {
      ({ payload } = await check(token, {
        audience,
        algorithms,
        clockTolerance: 5,
        requiredClaims: ['sub', 'exp', 'iat'],
        // Issued no longer ago than a token may live, and not in the future.
        maxTokenAge: maxLifetime,
        ...(issuer ? { issuer } : {}),
      }));
    } catch {
      throw unauthorized('The bearer token is invalid, expired or not meant for this API');
    }
    if (!(Number(payload.exp) - Number(payload.iat) <= maxLifetime)) {
      throw unauthorized(`The bearer token lives longer than the ${maxLifetime} seconds this API accepts`);
    }
    const sub = payload.sub;
    // It becomes an asset's ownerId, which the data API takes as one line of text.
    if (typeof sub !== 'string' || sub.length === 0 || sub.length > 200 || !isOneLineText(sub)) {
      throw unauthorized('The bearer token has no usable subject');
    }
    if (memo.size >= maxMemo) memo.delete(memo.keys().next().value as string);
    memo.set(memoKey, { sub, expMs: Number(payload.exp) * 1000 });
    return { sub };
  }

  return {
    user: (token: string) => verify(token, 'user'),
    service: (token: string) => verify(token, 'service'),
  };
}

/** What one audience's tokens are verified with: the algorithms it allows and its key. */
interface Keys {
  algorithms: string[];
  check(token: string, options: JWTVerifyOptions): Promise<JWTVerifyResult>;
}

function hs256(secret: string): Keys {
  const key = new TextEncoder().encode(secret);
  return { algorithms: ['HS256'], check: (token, options) => jwtVerify(token, key, options) };
}

/** Users' tokens: exactly one of an HS256 secret (local, tests) or the identity provider's JWKS (AWS). */
function userKeys(settings: AuthSettings): Keys {
  const { AUTH_JWT_SECRET: secret, AUTH_JWKS_URL: jwksUrl } = settings;
  if (secret !== undefined && jwksUrl === undefined) return hs256(secret);
  if (jwksUrl !== undefined && secret === undefined) {
    const jwks = createRemoteJWKSet(new URL(jwksUrl));
    return {
      algorithms: ['RS256', 'ES256', 'PS256'],
      check: (token, options) => jwtVerify(token, jwks, options),
    };
  }
  throw new ConfigError([
    { variable: 'AUTH_JWT_SECRET', message: 'set exactly one of AUTH_JWT_SECRET or AUTH_JWKS_URL' },
  ]);
}

export type Verifier = ReturnType<typeof createVerifier>;

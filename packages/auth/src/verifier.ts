import { ConfigError } from '@stateless/config';
import { PublicError } from '@stateless/contracts';
import { createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify } from 'jose';

export interface AuthSettings {
  AUTH_JWT_SECRET?: string | undefined;
  AUTH_JWKS_URL?: string | undefined;
  AUTH_ISSUER?: string | undefined;
  AUTH_AUDIENCE: string;
  SERVICE_AUDIENCE: string;
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
 * SERVICE_AUDIENCE) with jose: an HS256 secret locally, the identity
 * provider's JWKS in AWS. A token for one audience is refused by the other.
 *
 * Verified tokens are memoized until they expire (bounded map): verifying is a
 * pure function of the token, so this holds no request state, and it takes
 * signature checks off the hot read path.
 */
export function createVerifier(settings: AuthSettings, maxMemo = 10_000) {
  if ((settings.AUTH_JWT_SECRET === undefined) === (settings.AUTH_JWKS_URL === undefined)) {
    throw new ConfigError([
      { variable: 'AUTH_JWT_SECRET', message: 'set exactly one of AUTH_JWT_SECRET or AUTH_JWKS_URL' },
    ]);
  }
  const secret = settings.AUTH_JWT_SECRET ? new TextEncoder().encode(settings.AUTH_JWT_SECRET) : undefined;
  const jwks: JWTVerifyGetKey | undefined = settings.AUTH_JWKS_URL
    ? createRemoteJWKSet(new URL(settings.AUTH_JWKS_URL))
    : undefined;
  const algorithms = secret ? ['HS256'] : ['RS256', 'ES256', 'PS256'];
  const memo = new Map<string, { sub: string; expMs: number }>();

  async function verify(token: string, audience: string): Promise<Principal> {
    const memoKey = `${audience} ${token}`;
    const known = memo.get(memoKey);
    if (known && known.expMs > Date.now()) return { sub: known.sub };
    if (known) memo.delete(memoKey);
    let payload: { sub?: unknown; exp?: unknown };
    try {
      const options = {
        audience,
        algorithms,
        clockTolerance: 5,
        requiredClaims: ['sub', 'exp'],
        ...(settings.AUTH_ISSUER ? { issuer: settings.AUTH_ISSUER } : {}),
      };
      ({ payload } = secret
        ? await jwtVerify(token, secret, options)
        : await jwtVerify(token, jwks as JWTVerifyGetKey, options));
    } catch {
      throw unauthorized('The bearer token is invalid, expired or not meant for this API');
    }
    const sub = payload.sub;
    if (typeof sub !== 'string' || sub.length === 0 || sub.length > 200) {
      throw unauthorized('The bearer token has no usable subject');
    }
    if (memo.size >= maxMemo) memo.delete(memo.keys().next().value as string);
    memo.set(memoKey, { sub, expMs: Number(payload.exp) * 1000 });
    return { sub };
  }

  return {
    user: (token: string) => verify(token, settings.AUTH_AUDIENCE),
    service: (token: string) => verify(token, settings.SERVICE_AUDIENCE),
  };
}

export type Verifier = ReturnType<typeof createVerifier>;

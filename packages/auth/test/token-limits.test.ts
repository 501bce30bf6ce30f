import { tokenCheckDefaults } from '@stateless/config';
import { localUserIssuer, mintServiceToken, mintUserToken, PublicError } from '@stateless/contracts';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createVerifier } from '../src/index.ts';

/**
 * The lifetime and issuer checks every token meets (issue 21, item 8): a token may live no
 * longer than its kind's configured maximum (`exp` − `iat`), and a user token must name the
 * configured issuer, locally as in AWS.
 */
const secret = 'token-limits-user-secret-of-32-characters';
const serviceSecret = 'token-limits-service-secret-of-32-characters';
const verifier = createVerifier({
  ...tokenCheckDefaults,
  AUTH_JWT_SECRET: secret,
  AUTH_AUDIENCE: 'stateless-api',
  AUTH_MAX_TOKEN_LIFETIME_SECONDS: 3600,
  SERVICE_TOKEN_SECRET: serviceSecret,
  SERVICE_AUDIENCE: 'stateless-internal',
  SERVICE_TOKEN_MAX_LIFETIME_SECONDS: 600,
});

const outcome = (promise: Promise<unknown>) =>
  promise.then(
    (principal) => principal,
    (error: unknown) => (error instanceof PublicError ? `${error.status} ${error.message}` : String(error)),
  );
const now = () => Math.floor(Date.now() / 1000);
/** A user token with exactly these claims (jose sets none by itself). */
const userToken = (claims: { iat?: number; exp: number; iss?: string }) =>
  new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('alice')
    .setAudience('stateless-api')
    .sign(new TextEncoder().encode(secret));

describe('token lifetime', () => {
  it('accepts a user token living up to the maximum, refuses one living a second longer', async () => {
    expect(await outcome(verifier.user(await mintUserToken(secret, 'alice', { ttl: 3600 })))).toEqual({
      sub: 'alice',
    });
    expect(await outcome(verifier.user(await mintUserToken(secret, 'alice', { ttl: 3601 })))).toBe(
      '401 The bearer token lives longer than the 3600 seconds this API accepts',
    );
    expect(await outcome(verifier.user(await mintUserToken(secret, 'alice', { ttl: '30d' })))).toMatch(
      /^401 The bearer token lives longer/,
    );
  });

  it('applies the service maximum to service tokens', async () => {
    expect(
      await outcome(verifier.service(await mintServiceToken(serviceSecret, 'worker', { ttl: 600 }))),
    ).toEqual({ sub: 'worker' });
    expect(
      await outcome(verifier.service(await mintServiceToken(serviceSecret, 'worker', { ttl: 601 }))),
    ).toMatch(/^401 The bearer token lives longer than the 600 seconds/);
  });

  it('refuses a token that does not say when it was issued, or says the future', async () => {
    const iss = localUserIssuer;
    expect(await outcome(verifier.user(await userToken({ iss, exp: now() + 60 })))).toMatch(/^401 /);
    // Short-lived by exp − iat, but valid for a day from now: iat may not lie ahead.
    const ahead = now() + 86_400;
    expect(await outcome(verifier.user(await userToken({ iss, iat: ahead, exp: ahead + 60 })))).toMatch(
      /^401 /,
    );
    expect(await outcome(verifier.user(await userToken({ iss, iat: now(), exp: now() + 60 })))).toEqual({
      sub: 'alice',
    });
  });
});

describe('token subject', () => {
  it('refuses a subject an asset could not be owned by: not well formed, control or bidi characters', async () => {
    for (const sub of ['\ud800', 'alice\nbob', 'alice\u0000', 'eve\u202e']) {
      expect(await outcome(verifier.user(await mintUserToken(secret, sub)))).toBe(
        '401 The bearer token has no usable subject',
      );
    }
    expect(await outcome(verifier.user(await mintUserToken(secret, 'Zoë 😀')))).toEqual({ sub: 'Zoë 😀' });
  });
});

describe('token issuer', () => {
  it('refuses a user token with another issuer, or none', async () => {
    for (const issuer of ['https://cognito-idp.us-east-1.amazonaws.com/other-pool', null]) {
      expect(await outcome(verifier.user(await mintUserToken(secret, 'alice', { issuer })))).toBe(
        '401 The bearer token is invalid, expired or not meant for this API',
      );
    }
  });

  it("accepts what the local minting issues (pnpm token, the dev stack's token, the console's dev sign-in)", async () => {
    const token = await mintUserToken(secret, 'alice');
    const [, payload = ''] = token.split('.');
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString())).toMatchObject({ iss: localUserIssuer });
    expect(await outcome(verifier.user(token))).toEqual({ sub: 'alice' });
  });
});

import { tokenCheckDefaults } from '@stateless/config';
import { mintServiceToken, mintUserToken, PublicError } from '@stateless/contracts';
import { afterAll, describe, expect, it } from 'vitest';
import { createVerifier } from '../src/index.ts';
import { startIdentityProvider } from './identity-provider.ts';

/**
 * User tokens from an identity provider (JWKS, as Cognito in AWS) and service tokens
 * (HS256 with SERVICE_TOKEN_SECRET) side by side: the apps that call the data API mint
 * their tokens themselves, whichever way users sign in.
 */
const serviceSecret = 'service-token-secret-of-at-least-32-characters';
const idp = await startIdentityProvider();
const idpToken = idp.userToken;
const verifier = createVerifier({
  ...tokenCheckDefaults,
  AUTH_JWKS_URL: idp.jwksUrl,
  AUTH_ISSUER: idp.issuer,
  AUTH_AUDIENCE: 'stateless-api',
  SERVICE_TOKEN_SECRET: serviceSecret,
  SERVICE_AUDIENCE: 'stateless-internal',
});
afterAll(() => idp.close());

const outcome = (promise: Promise<unknown>) =>
  promise.then(
    (principal) => principal,
    (error: unknown) => (error instanceof PublicError ? `${error.status} ${error.code}` : String(error)),
  );

describe('a verifier whose users sign in with an identity provider (JWKS)', () => {
  it("accepts the provider's user tokens and service tokens signed with SERVICE_TOKEN_SECRET", async () => {
    expect(await outcome(verifier.user(await idpToken('alice', 'stateless-api')))).toEqual({ sub: 'alice' });
    const service = await mintServiceToken(serviceSecret, 'upload-service');
    expect(await outcome(verifier.service(service))).toEqual({ sub: 'upload-service' });
  });

  it('refuses a user token on the service audience, and a service token on the user audience', async () => {
    expect(await outcome(verifier.service(await idpToken('alice', 'stateless-api')))).toBe(
      '401 Unauthorized',
    );
    // Even one the provider signed for the service audience: only SERVICE_TOKEN_SECRET makes service tokens.
    expect(await outcome(verifier.service(await idpToken('alice', 'stateless-internal')))).toBe(
      '401 Unauthorized',
    );
    const service = await mintServiceToken(serviceSecret, 'upload-service');
    expect(await outcome(verifier.user(service))).toBe('401 Unauthorized');
    expect(await outcome(verifier.user(await mintUserToken(serviceSecret, 'mallory')))).toBe(
      '401 Unauthorized',
    );
  });

  it('refuses a service token signed with another secret', async () => {
    const forged = await mintServiceToken(`${serviceSecret}-but-not-this-one`, 'upload-service');
    expect(await outcome(verifier.service(forged))).toBe('401 Unauthorized');
  });
});

describe('a verifier whose users sign with an HS256 secret (local)', () => {
  // One audience for both kinds: only the keys tell them apart, and the memo must not blur them.
  const local = createVerifier({
    ...tokenCheckDefaults,
    AUTH_JWT_SECRET: 'user-token-secret-of-at-least-32-characters',
    AUTH_AUDIENCE: 'stateless',
    SERVICE_TOKEN_SECRET: serviceSecret,
    SERVICE_AUDIENCE: 'stateless',
  });

  it('takes a service token only as a service, even once it is memoized', async () => {
    const service = await mintServiceToken(serviceSecret, 'workflow-worker', { audience: 'stateless' });
    expect(await outcome(local.service(service))).toEqual({ sub: 'workflow-worker' });
    expect(await outcome(local.user(service))).toBe('401 Unauthorized');
    const user = await mintUserToken('user-token-secret-of-at-least-32-characters', 'alice', {
      audience: 'stateless',
    });
    expect(await outcome(local.user(user))).toEqual({ sub: 'alice' });
    expect(await outcome(local.service(user))).toBe('401 Unauthorized');
  });
});

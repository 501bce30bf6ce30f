import { tokenCheckDefaults } from '@stateless/config';
import { mintServiceToken, mintUserToken, PublicError } from '@stateless/contracts';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { authPlugin, createVerifier } from '../src/index.ts';

const secret = 'auth-package-test-secret-of-32-bytes!';
const serviceSecret = 'auth-package-service-secret-of-32-bytes';
const app = Fastify();
app.setErrorHandler((error, _request, reply) => {
  const status = error instanceof PublicError ? error.status : 500;
  return reply.status(status).send({ status });
});
await app.register(authPlugin, {
  verifier: createVerifier({
    ...tokenCheckDefaults,
    AUTH_JWT_SECRET: secret,
    AUTH_AUDIENCE: 'stateless-api',
    SERVICE_TOKEN_SECRET: serviceSecret,
    SERVICE_AUDIENCE: 'stateless-internal',
  }),
});
app.get('/mine', { onRequest: app.authenticate('user') }, async (request) => request.principal);
app.get('/internal', { onRequest: app.authenticate('service') }, async (request) => request.principal);
afterAll(() => app.close());

const get = (url: string, token?: string) =>
  app.inject({ url, headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('authPlugin', () => {
  it('puts the verified subject on request.principal', async () => {
    const user = await get('/mine', await mintUserToken(secret, 'alice'));
    expect(user.json()).toEqual({ sub: 'alice' });
    const service = await get('/internal', await mintServiceToken(serviceSecret, 'upload-service'));
    expect(service.json()).toEqual({ sub: 'upload-service' });
  });

  it('answers 401 without a token or with a token of the other kind', async () => {
    expect((await get('/mine')).statusCode).toBe(401);
    expect((await get('/mine', await mintServiceToken(serviceSecret, 'upload-service'))).statusCode).toBe(
      401,
    );
    expect((await get('/internal', await mintUserToken(secret, 'alice'))).statusCode).toBe(401);
  });
});

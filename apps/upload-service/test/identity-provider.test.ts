import { startIdentityProvider } from '@stateless/auth/testing';
import { loadEnv, uploadServiceEnv } from '@stateless/config';
import { createDataApiInternalClient, mintServiceToken } from '@stateless/contracts';
import { buildApps } from '@stateless/data-api';
import { testConfig } from '@stateless/data-api/testing';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../src/app.ts';

/**
 * The upload service and the data API configured as infra configures them in AWS: users sign
 * in with an identity provider (AUTH_JWKS_URL, no AUTH_JWT_SECRET anywhere), and the upload
 * service calls the data API's internal routes with a token of its own (SERVICE_TOKEN_SECRET).
 */
const cloud = inject('cloud');
const serviceSecret = 'idp-test-service-secret-of-at-least-32-characters';
const idp = await startIdentityProvider();
const { AUTH_JWT_SECRET: _, ...dataApiConfig } = testConfig({
  AUTH_JWKS_URL: idp.jwksUrl,
  AUTH_ISSUER: idp.issuer,
  SERVICE_TOKEN_SECRET: serviceSecret,
});
const dataApi = await buildApps(dataApiConfig);
const dataApiUrl = await dataApi.internalApp.listen({ port: 0, host: '127.0.0.1' });
const { app } = await buildApp(
  loadEnv(uploadServiceEnv, {
    ...cloud.env,
    LOG_LEVEL: 'silent',
    DATA_API_INTERNAL_URL: dataApiUrl,
    AUTH_JWKS_URL: idp.jwksUrl,
    AUTH_ISSUER: idp.issuer,
    SERVICE_TOKEN_SECRET: serviceSecret,
  }),
);
const internal = createDataApiInternalClient({
  baseUrl: dataApiUrl,
  token: () => mintServiceToken(serviceSecret, 'idp-test'),
});
afterAll(async () => {
  await app.close();
  await dataApi.close();
  await idp.close();
});

describe('with users on an identity provider (JWKS), as in AWS', () => {
  it("creates the PENDING asset through the data API's internal routes with its service token", async () => {
    const response = await app.inject({
      url: '/uploads/s3/params?filename=a.png&type=image/png',
      headers: { authorization: `Bearer ${await idp.userToken('dana', 'stateless-api')}` },
    });
    expect(response.statusCode).toBe(200);
    const { assetId } = response.json() as { assetId: string };
    expect(await internal.getAsset(assetId)).toMatchObject({ ownerId: 'dana', status: 'PENDING' });
  });
});

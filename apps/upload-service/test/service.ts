import { loadEnv, uploadServiceEnv } from '@stateless/config';
import { buildApps, type DataApiConfig } from '@stateless/data-api';
import { testConfig } from '@stateless/data-api/testing';
import { afterAll, inject } from 'vitest';
import { buildApp } from '../src/app.ts';

/** The upload service on the local cloud, with the data API's internal app in-process. */
export const secret = 'upload-test-secret-that-is-at-least-32-characters';
/** What the upload service mints its data-API tokens with, and the data API verifies them with. */
export const serviceSecret = 'upload-test-service-secret-of-at-least-32-characters';
/** Under contracts' default, so a test that finds this limit proves the configured one is used. */
export const maxUploadBytes = 64 * 1024 * 1024;
export const cloud = inject('cloud');

/**
 * An upload service and the data API's internal app, listening, with the data API's test config
 * (unique Redis prefix) and this file's secrets; `dataApiSettings` changes its limits.
 */
export async function startUploadService(dataApiSettings: Partial<DataApiConfig> = {}) {
  const dataApi = await buildApps(
    testConfig({ AUTH_JWT_SECRET: secret, SERVICE_TOKEN_SECRET: serviceSecret, ...dataApiSettings }),
  );
  const dataApiUrl = await dataApi.internalApp.listen({ port: 0, host: '127.0.0.1' });
  const service = await buildApp(
    loadEnv(uploadServiceEnv, {
      ...cloud.env,
      LOG_LEVEL: 'silent',
      DATA_API_INTERNAL_URL: dataApiUrl,
      AUTH_JWT_SECRET: secret,
      SERVICE_TOKEN_SECRET: serviceSecret,
      MAX_UPLOAD_BYTES: String(maxUploadBytes),
    }),
  );
  afterAll(async () => {
    await service.app.close();
    await dataApi.close();
  });
  return { ...service, dataApi, dataApiUrl };
}

export const { app, handleUploadEvents, dataApi, dataApiUrl } = await startUploadService();

import { randomBytes } from 'node:crypto';
import { loadEnv, uploadServiceEnv } from '@stateless/config';
import { buildApps, type DataApiConfig } from '@stateless/data-api';
import { afterAll, inject } from 'vitest';
import { buildApp } from '../src/app.ts';

/** The upload service on the local cloud, with the data API's internal app in-process. */
export const secret = 'upload-test-secret-that-is-at-least-32-characters';
export const cloud = inject('cloud');
const dataApiConfig: DataApiConfig = {
  AWS_REGION: cloud.region,
  LOG_LEVEL: 'silent',
  HOST: '127.0.0.1',
  S3_FORCE_PATH_STYLE: true,
  PORT: 0,
  INTERNAL_PORT: 0,
  ASSETS_TABLE: cloud.names.assetsTable,
  ASSETS_BUCKET: cloud.names.assetsBucket,
  REDIS_URL: cloud.redisUrl,
  AUTH_JWT_SECRET: secret,
  AUTH_AUDIENCE: 'stateless-api',
  SERVICE_AUDIENCE: 'stateless-internal',
  CURSOR_SECRET: 'cursor-secret-that-is-at-least-32-characters',
  CACHE_TTL_SECONDS: 60,
  NOT_FOUND_TTL_SECONDS: 5,
  RATE_LIMIT_PER_MINUTE: 100_000,
  REDIS_KEY_PREFIX: `u-${randomBytes(4).toString('hex')}:`,
  REDIS_COMMAND_TIMEOUT_MS: 250,
  DOWNLOAD_URL_TTL_SECONDS: 60,
  PENDING_TTL_SECONDS: 3_600,
  METRICS_NAMESPACE: 'StatelessStack/test',
};
export const dataApi = await buildApps(dataApiConfig);
export const dataApiUrl = await dataApi.internalApp.listen({ port: 0, host: '127.0.0.1' });
export const { app, handleUploadEvents } = await buildApp(
  loadEnv(uploadServiceEnv, {
    ...cloud.env,
    LOG_LEVEL: 'silent',
    DATA_API_INTERNAL_URL: dataApiUrl,
    AUTH_JWT_SECRET: secret,
  }),
);
afterAll(async () => {
  await app.close();
  await dataApi.close();
});

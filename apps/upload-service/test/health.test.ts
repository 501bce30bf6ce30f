import { loadEnv, uploadServiceEnv } from '@stateless/config';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../src/app.ts';

const { env } = inject('cloud');
const config = loadEnv(uploadServiceEnv, {
  ...env,
  LOG_LEVEL: 'silent',
  DATA_API_INTERNAL_URL: 'http://127.0.0.1:1',
  AUTH_JWT_SECRET: 'health-test-secret-of-at-least-32-characters',
  SERVICE_TOKEN_SECRET: 'health-test-service-secret-of-at-least-32-characters',
});
const { app } = await buildApp(config);
const { app: misconfigured } = await buildApp({ ...config, ASSETS_BUCKET: 'no-such-bucket' });
afterAll(() => Promise.all([app.close(), misconfigured.close()]));

describe('upload service health', () => {
  it('is ready when its bucket and state machine exist on the local cloud', async () => {
    expect((await app.inject('/healthz')).statusCode).toBe(200);
    const ready = await app.inject('/readyz');
    expect(ready.json()).toMatchObject({ status: 'ready' });
    expect(ready.statusCode).toBe(200);
  });

  it('is alive but not ready when its bucket is missing', async () => {
    expect((await misconfigured.inject('/healthz')).statusCode).toBe(200);
    const ready = await misconfigured.inject('/readyz');
    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks).toContainEqual(expect.objectContaining({ name: 's3', ok: false }));
  });
});

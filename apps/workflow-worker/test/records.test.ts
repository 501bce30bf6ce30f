import { randomBytes, randomUUID } from 'node:crypto';
import { createDataApiInternalClient } from '@stateless/contracts';
import { buildApps, type DataApiConfig } from '@stateless/data-api';
import type { InspectOutput } from '@stateless/workflows';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serviceTokenSource } from '../src/data-api.ts';
import { finalize, markFailed, startProcessing } from '../src/steps/records.ts';

const secret = 'test-secret-that-is-at-least-32-characters-long';
const cloud = inject('cloud');
const config: DataApiConfig = {
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
  REDIS_KEY_PREFIX: `w3-${randomBytes(4).toString('hex')}:`,
  REDIS_COMMAND_TIMEOUT_MS: 250,
  DOWNLOAD_URL_TTL_SECONDS: 60,
  PENDING_TTL_SECONDS: 3_600,
  METRICS_NAMESPACE: 'StatelessStack/test',
};

const apps = await buildApps(config);
let dataApi: ReturnType<typeof createDataApiInternalClient>;
beforeAll(async () => {
  const baseUrl = await apps.internalApp.listen({ port: 0, host: '127.0.0.1' });
  dataApi = createDataApiInternalClient({ baseUrl, token: serviceTokenSource(secret) });
});
afterAll(() => apps.close());

const newAsset = async () => {
  const id = `w3-${randomUUID()}`;
  await dataApi.createAsset({ id, ownerId: 'u1', originalKey: `originals/${id}`, contentType: 'image/png' });
  return id;
};

const inspection: InspectOutput = {
  contentType: 'image/png',
  declaredContentType: 'image/png',
  size: 1234,
  sha256: 'd'.repeat(64),
  isImage: true,
  width: 800,
  height: 600,
  thumbnailSizes: [{ name: 'small', maxDimension: 160 }],
};
const thumbnails = [
  {
    name: 'small',
    key: 'thumbnails/x/small.webp',
    width: 160,
    height: 120,
    contentType: 'image/webp',
    size: 99,
  },
];

describe('status moves through the real data API', () => {
  it('inspect takes a PENDING asset to PROCESSING and returns its declared type; a re-run is harmless', async () => {
    const id = await newAsset();
    expect(await startProcessing(dataApi, id)).toBe('image/png');
    expect(await startProcessing(dataApi, id)).toBe('image/png');
    expect((await dataApi.getAsset(id)).status).toBe('PROCESSING');
  });

  it('finalize records the results and READY, once; a re-run changes nothing', async () => {
    const id = await newAsset();
    await startProcessing(dataApi, id);
    const payload = { step: 'finalize' as const, assetId: id, inspection, thumbnails };
    expect(await finalize(dataApi, payload)).toEqual({ assetId: id, status: 'READY', changed: true });
    const asset = await dataApi.getAsset(id);
    expect(asset).toMatchObject({
      status: 'READY',
      sha256: inspection.sha256,
      width: 800,
      height: 600,
      thumbnails,
    });
    expect(await finalize(dataApi, payload)).toEqual({ assetId: id, status: 'READY', changed: false });
    expect((await dataApi.getAsset(id)).version).toBe(asset.version);
  });

  it('markFailed takes an asset from PENDING to FAILED with a readable reason; a re-run is harmless', async () => {
    const id = await newAsset();
    const error = {
      Error: 'UnsupportedMedia',
      Cause: JSON.stringify({ errorType: 'UnsupportedMedia', errorMessage: 'the file is corrupt' }),
    };
    const first = await markFailed(dataApi, { step: 'markFailed', assetId: id, error });
    expect(first).toMatchObject({ status: 'FAILED', changed: true });
    expect(await dataApi.getAsset(id)).toMatchObject({
      status: 'FAILED',
      failureReason: 'The file could not be processed: the file is corrupt',
    });
    expect(await markFailed(dataApi, { step: 'markFailed', assetId: id, error })).toMatchObject({
      changed: false,
    });
  });

  it('does not turn a READY asset FAILED, and refuses to process a finished one again', async () => {
    const id = await newAsset();
    await startProcessing(dataApi, id);
    await finalize(dataApi, { step: 'finalize', assetId: id, inspection, thumbnails: [] });
    const late = await markFailed(dataApi, {
      step: 'markFailed',
      assetId: id,
      error: { Error: 'States.Timeout' },
    });
    expect(late).toMatchObject({ status: 'READY', changed: false });
    await expect(startProcessing(dataApi, id)).rejects.toMatchObject({ errorType: 'AssetNotProcessable' });
    expect((await dataApi.getAsset(id)).status).toBe('READY');
  });
});

import { randomUUID } from 'node:crypto';
import { createDataApiInternalClient, serviceTokenSource } from '@stateless/contracts';
import { buildApps } from '@stateless/data-api';
import { testConfig } from '@stateless/data-api/testing';
import type { InspectOutput } from '@stateless/workflows';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finalize, markFailed, recordFound, startProcessing } from '../src/steps/records.ts';

const secret = 'test-secret-that-is-at-least-32-characters-long';
// The data API's own test config (unique Redis prefix), verifying service tokens with this file's secret.
const config = testConfig({ SERVICE_TOKEN_SECRET: secret });

const apps = await buildApps(config);
let dataApi: ReturnType<typeof createDataApiInternalClient>;
beforeAll(async () => {
  const baseUrl = await apps.internalApp.listen({ port: 0, host: '127.0.0.1' });
  dataApi = createDataApiInternalClient({ baseUrl, token: serviceTokenSource(secret, 'workflow-worker') });
});
afterAll(() => apps.close());

const newAsset = async () => {
  const id = `w3-${randomUUID()}`;
  await dataApi.createAsset({ id, ownerId: 'u1', originalKey: `originals/${id}`, contentType: 'image/png' });
  return id;
};

const inspection: InspectOutput = {
  contentType: 'image/png',
  declaredContentType: 'image/webp',
  size: 1234,
  sha256: 'd'.repeat(64),
  versionId: 'v1',
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
  it('inspect takes a PENDING asset to PROCESSING and returns what was declared; a re-run is harmless', async () => {
    const id = await newAsset();
    expect(await startProcessing(dataApi, id)).toEqual({ contentType: 'image/png' });
    expect(await startProcessing(dataApi, id)).toEqual({ contentType: 'image/png' });
    expect((await dataApi.getAsset(id)).status).toBe('PROCESSING');
  });

  it('inspect returns the declared size and the uploaded version the Object Created event recorded', async () => {
    const id = `w3-${randomUUID()}`;
    await dataApi.createAsset({
      id,
      ownerId: 'u1',
      originalKey: `originals/${id}`,
      contentType: 'image/png',
      size: 42,
    });
    await dataApi.moveStatus(id, { status: 'UPLOADED', versionId: 'v-first' });
    // A second event's move (another version of the key) is a no-op that leaves the first version.
    expect(await dataApi.moveStatus(id, { status: 'UPLOADED', versionId: 'v-second' })).toMatchObject({
      originalVersionId: 'v-first',
    });
    expect(await startProcessing(dataApi, id)).toEqual({
      contentType: 'image/png',
      size: 42,
      versionId: 'v-first',
    });
  });

  it('a re-run of inspect after a refusal recorded what was found still gets the declared type', async () => {
    const id = await newAsset();
    await startProcessing(dataApi, id);
    await recordFound(dataApi, id, { contentType: 'application/x-elf', declaredContentType: 'image/png' });
    expect(await startProcessing(dataApi, id)).toEqual({ contentType: 'image/png' });
  });

  it('finalize records the results and READY, once; a re-run changes nothing', async () => {
    const id = await newAsset();
    await startProcessing(dataApi, id);
    const payload = { step: 'finalize' as const, assetId: id, inspection, thumbnails };
    expect(await finalize(dataApi, payload)).toEqual({ assetId: id, status: 'READY', changed: true });
    const asset = await dataApi.getAsset(id);
    expect(asset).toMatchObject({
      status: 'READY',
      contentType: 'image/png',
      declaredContentType: 'image/webp',
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

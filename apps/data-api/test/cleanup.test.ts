import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createDataApiInternalClient, type DataApiInternalClient } from '@stateless/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byCleanupIndex } from '../src/lib/assets-store.ts';
import type { AssetRecord } from '../src/lib/record.ts';
import {
  call,
  type Instance,
  newAsset,
  ownStorage,
  serviceToken,
  startInstance,
  testConfig,
  uniqueOwner,
  userToken,
} from './helpers.ts';

/**
 * S3 cleanup of deleted assets. This file has its own table and bucket (created
 * from `assetsTable` like the shared ones), so sweep counts are exact whatever
 * other test files delete meanwhile. The failing instance is a real failure:
 * its bucket does not exist, so DeleteObjects answers NoSuchBucket.
 */
const storage = ownStorage('sweep');
const { names, documents, exists } = storage;

let healthy: Instance;
let other: Instance;
let broken: Instance;
let internal: DataApiInternalClient;
let otherInternal: DataApiInternalClient;

beforeAll(async () => {
  await storage.create();
  healthy = await startInstance(testConfig(storage.config));
  other = await startInstance(testConfig(storage.config));
  broken = await startInstance(
    testConfig({ ...storage.config, ASSETS_BUCKET: storage.missingBucket }),
    false,
  );
  const token = await serviceToken('scheduler');
  internal = createDataApiInternalClient({ baseUrl: healthy.internalUrl, token });
  otherInternal = createDataApiInternalClient({ baseUrl: other.internalUrl, token });
});
afterAll(async () => {
  await Promise.allSettled([healthy?.close(), other?.close(), broken?.close()]);
  storage.destroy();
});

const stored = async (id: string) =>
  (await documents.send(new GetCommand({ TableName: names.assetsTable, Key: { id }, ConsistentRead: true })))
    .Item as AssetRecord | undefined;

const flaggedIds = async () =>
  (
    await documents.send(
      new QueryCommand({
        TableName: names.assetsTable,
        IndexName: byCleanupIndex,
        KeyConditionExpression: '#c = :c',
        ExpressionAttributeNames: { '#c': 'cleanupPending' },
        ExpressionAttributeValues: { ':c': '1' },
      }),
    )
  ).Items?.map((item) => item.id as string) ?? [];

/** A READY asset with an original and a thumbnail in the (real) bucket. */
async function assetWithObjects() {
  const ownerId = uniqueOwner();
  const body = newAsset(ownerId);
  const thumbKey = `thumbnails/${body.id}/small.webp`;
  await internal.createAsset(body);
  for (const Key of [body.originalKey, thumbKey]) {
    await storage.putObject(Key);
  }
  await internal.moveStatus(body.id, { status: 'UPLOADED' });
  await internal.moveStatus(body.id, { status: 'PROCESSING' });
  await internal.recordResults(body.id, {
    thumbnails: [{ name: 'small', key: thumbKey, width: 8, height: 8, contentType: 'image/webp', size: 5 }],
  });
  await internal.moveStatus(body.id, { status: 'READY' });
  return { id: body.id, keys: [body.originalKey, thumbKey], token: await userToken(ownerId) };
}

/** DELETE through the instance whose S3 calls fail. */
async function deleteWithFailingS3(asset: { id: string; token: string }) {
  const response = await broken.publicApp.inject({
    method: 'DELETE',
    url: `/assets/${asset.id}`,
    headers: { authorization: `Bearer ${asset.token}` },
  });
  expect(response.statusCode).toBe(204);
}

describe('S3 cleanup of deleted assets', () => {
  it('a DELETE whose S3 step fails is still a 204; the tombstone and the flag are one write', async () => {
    const asset = await assetWithObjects();
    const before = await stored(asset.id);
    const errorsBefore = broken.deps.metrics.get('s3DeleteErrors');
    await deleteWithFailingS3(asset);

    expect(broken.deps.metrics.get('s3DeleteErrors')).toBe(errorsBefore + 1);
    for (const key of asset.keys) expect(await exists(key)).toBe(true);
    const tombstone = await stored(asset.id);
    expect(tombstone).toMatchObject({ status: 'DELETED', cleanupPending: '1', originalKey: asset.keys[0] });
    expect(tombstone?.deletedAt).toEqual(expect.any(String));
    expect(tombstone?.ownerId).toBeUndefined();
    expect(tombstone?.thumbnails?.map((t) => t.key)).toEqual([asset.keys[1]]);
    // Exactly one write since the READY record: the flag came with the tombstone.
    expect(tombstone?.version).toBe((before?.version ?? 0) + 1);
    expect(await flaggedIds()).toEqual([asset.id]);
    // Gone for the owner at once, whatever S3 did.
    const read = await call(healthy.publicUrl, 'GET', `/assets/${asset.id}`, { token: asset.token });
    expect(read.status).toBe(404);

    // A healthy instance's sweep removes the objects and drops the flag; the next finds nothing.
    expect(await internal.sweepDeleted({ limit: 10 })).toEqual({ swept: 1, failed: 0, remaining: false });
    for (const key of asset.keys) expect(await exists(key)).toBe(false);
    const swept = await stored(asset.id);
    expect(swept).toMatchObject({ status: 'DELETED', version: tombstone?.version });
    expect(swept?.cleanupPending).toBeUndefined();
    expect(await flaggedIds()).toEqual([]);
    expect(await internal.sweepDeleted()).toEqual({ swept: 0, failed: 0, remaining: false });
  });

  it('a normal DELETE removes the objects and leaves no flag behind', async () => {
    const asset = await assetWithObjects();
    const response = await call(healthy.publicUrl, 'DELETE', `/assets/${asset.id}`, { token: asset.token });
    expect(response.status).toBe(204);
    for (const key of asset.keys) expect(await exists(key)).toBe(false);
    const tombstone = await stored(asset.id);
    expect(tombstone?.status).toBe('DELETED');
    expect(tombstone?.cleanupPending).toBeUndefined();
    expect(await flaggedIds()).toEqual([]);
    expect(await internal.sweepDeleted()).toEqual({ swept: 0, failed: 0, remaining: false });
  });

  it('a repeated DELETE by the owner retries the cleanup and drops the flag', async () => {
    const asset = await assetWithObjects();
    await deleteWithFailingS3(asset);
    expect((await stored(asset.id))?.cleanupPending).toBe('1');
    const again = await call(healthy.publicUrl, 'DELETE', `/assets/${asset.id}`, { token: asset.token });
    expect(again.status).toBe(204);
    for (const key of asset.keys) expect(await exists(key)).toBe(false);
    expect((await stored(asset.id))?.cleanupPending).toBeUndefined();
    expect(await flaggedIds()).toEqual([]);
  });

  it('sweeps oldest first in batches, and a failing sweep keeps the flags', async () => {
    const assets = [];
    for (let i = 0; i < 3; i++) {
      const asset = await assetWithObjects();
      await deleteWithFailingS3(asset);
      assets.push(asset);
    }
    const [first, second, third] = assets as [(typeof assets)[0], (typeof assets)[0], (typeof assets)[0]];

    // The broken instance's sweep fails on S3: nothing is cleared.
    expect(await broken.deps.assets.sweepDeleted({ limit: 10 })).toEqual({
      swept: 0,
      failed: 3,
      remaining: true,
    });
    expect((await flaggedIds()).sort()).toEqual(assets.map((a) => a.id).sort());

    expect(await internal.sweepDeleted({ limit: 2 })).toEqual({ swept: 2, failed: 0, remaining: true });
    for (const key of [...first.keys, ...second.keys]) expect(await exists(key)).toBe(false);
    for (const key of third.keys) expect(await exists(key)).toBe(true);
    expect(await flaggedIds()).toEqual([third.id]);
    expect(await internal.sweepDeleted({ limit: 2 })).toEqual({ swept: 1, failed: 0, remaining: false });
    expect(await flaggedIds()).toEqual([]);
  });

  it('is safe on several instances at once: racing sweepers neither fail nor leave anything', async () => {
    const assets = [];
    for (let i = 0; i < 5; i++) {
      const asset = await assetWithObjects();
      await deleteWithFailingS3(asset);
      assets.push(asset);
    }
    const results = await Promise.all([
      internal.sweepDeleted({ limit: 100 }),
      otherInternal.sweepDeleted({ limit: 100 }),
      internal.sweepDeleted({ limit: 100 }),
    ]);
    for (const result of results) expect(result.failed).toBe(0);
    // Every tombstone was swept at least once (a race may sweep one twice, harmlessly).
    expect(results.reduce((sum, r) => sum + r.swept, 0)).toBeGreaterThanOrEqual(assets.length);
    for (const asset of assets) {
      for (const key of asset.keys) expect(await exists(key)).toBe(false);
      expect((await stored(asset.id))?.cleanupPending).toBeUndefined();
    }
    expect(await flaggedIds()).toEqual([]);
    expect(await internal.sweepDeleted()).toEqual({ swept: 0, failed: 0, remaining: false });
  });

  it('the sweep route takes only service tokens and a limit of 1..100', async () => {
    const url = healthy.internalUrl;
    const token = await serviceToken('scheduler');
    const path = '/internal/maintenance/sweep-deleted';
    expect((await call(url, 'POST', path, { body: {} })).status).toBe(401);
    // The body is required (`{}` for the default batch).
    expect((await call(url, 'POST', path, { token })).status).toBe(400);
    expect((await call(url, 'POST', path, { token: await userToken('alice'), body: {} })).status).toBe(401);
    for (const body of [{ limit: 0 }, { limit: 101 }, { limit: '5' }, { limit: 1.5 }, { other: 1 }]) {
      const response = await call(url, 'POST', path, { token, body });
      expect(response.status).toBe(400);
      expect(response.json.error.code).toEqual(expect.any(String));
    }
    expect((await call(url, 'POST', path, { token, body: { limit: 100 } })).json).toEqual({
      swept: 0,
      failed: 0,
      remaining: false,
    });
    // Not on the public listener.
    expect((await call(healthy.publicUrl, 'POST', path, { token, body: {} })).status).toBe(404);
  });
});

import { Asset, ErrorBody } from '@stateless/contracts';
import type { ALBResult } from 'aws-lambda';
import Value from 'typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataApiLambda, sweepTimeReserveMs } from '../src/lambda.ts';
import {
  type Instance,
  newAsset,
  ownStorage,
  serviceToken,
  startInstance,
  testConfig,
  uniqueOwner,
  userToken,
} from './helpers.ts';
import { albEvent, lambdaContext, targetGroups, traceId } from './lambda-events.ts';

/**
 * The Lambda entry: ALB events routed to the public or internal app by target
 * group, and the scheduled sweep. Its own table and bucket (as in
 * cleanup.test.ts), so sweep counts are exact whatever other files delete.
 */
const storage = ownStorage('lambda');
const { exists } = storage;

const lambda = createDataApiLambda(() =>
  testConfig({ ...storage.config, INTERNAL_TARGET_GROUP_ARN: targetGroups.internal }),
);
let brokenS3: Instance;

beforeAll(async () => {
  await storage.create();
  // DeleteObjects fails here (no such bucket), so its DELETEs leave tombstones flagged.
  brokenS3 = await startInstance(
    testConfig({ ...storage.config, ASSETS_BUCKET: storage.missingBucket }),
    false,
  );
});
afterAll(async () => {
  await Promise.allSettled([lambda.close(), brokenS3?.close()]);
  storage.destroy();
});

const json = (result: ALBResult) => JSON.parse(result.body ?? '');

const invoke = (targetGroupArn: string, method: string, path: string, options = {}) =>
  lambda.handler(albEvent(targetGroupArn, method, path, options), lambdaContext());

/** An asset created through the internal target group, with its original in S3. */
async function createAsset() {
  const ownerId = uniqueOwner();
  const body = newAsset(ownerId);
  const created = await invoke(targetGroups.internal, 'POST', '/internal/assets', {
    token: await serviceToken(),
    body,
  });
  expect(created.statusCode).toBe(201);
  await storage.putObject(body.originalKey);
  return { id: body.id, ownerId, originalKey: body.originalKey, token: await userToken(ownerId) };
}

/** An asset deleted through an instance whose S3 calls fail: tombstone flagged, original still in S3. */
async function flaggedTombstone() {
  const asset = await createAsset();
  const deleted = await brokenS3.publicApp.inject({
    method: 'DELETE',
    url: `/assets/${asset.id}`,
    headers: { authorization: `Bearer ${asset.token}` },
  });
  expect(deleted.statusCode).toBe(204);
  expect(await exists(asset.originalKey)).toBe(true);
  return asset;
}

describe('ALB events', () => {
  it('creates through the internal target group and reads through the public one', async () => {
    const ownerId = uniqueOwner();
    const body = newAsset(ownerId);
    const created = await invoke(targetGroups.internal, 'POST', '/internal/assets', {
      token: await serviceToken(),
      body,
    });
    expect(created.statusCode).toBe(201);
    expect(json(created)).toMatchObject({ id: body.id, ownerId, status: 'PENDING' });

    const read = await invoke(targetGroups.public, 'GET', `/assets/${body.id}`, {
      token: await userToken(ownerId),
    });
    expect(read.statusCode).toBe(200);
    expect(read.isBase64Encoded).toBe(false);
    expect(read.headers).toMatchObject({
      'content-type': expect.stringMatching(/^application\/json/),
      etag: '"v1"',
      'x-cache': 'miss',
      // The ALB's trace id is the request id.
      'x-request-id': traceId,
    });
    const asset = json(read);
    expect(Value.Check(Asset, asset)).toBe(true);
    expect(asset).toMatchObject({
      id: body.id,
      status: 'PENDING',
      version: 1,
      filename: body.filename,
      contentType: body.contentType,
    });
  });

  it('answers an unknown path with a 404 in the contracts error shape', async () => {
    const result = await invoke(targetGroups.public, 'GET', '/nowhere', { token: await userToken('alice') });
    expect(result.statusCode).toBe(404);
    const body = json(result);
    expect(Value.Check(ErrorBody, body)).toBe(true);
    expect(body.error).toMatchObject({ code: 'NotFound', requestId: traceId });
  });

  it('serves health checks on both target groups', async () => {
    for (const targetGroupArn of Object.values(targetGroups)) {
      expect((await invoke(targetGroupArn, 'GET', '/healthz')).statusCode).toBe(200);
    }
  });

  it('never serves internal routes to an event from the public target group', async () => {
    const token = await serviceToken();
    const body = newAsset(uniqueOwner());
    const create = await invoke(targetGroups.public, 'POST', '/internal/assets', { token, body });
    expect(create.statusCode).toBe(404);
    expect(Value.Check(ErrorBody, json(create))).toBe(true);
    const metrics = await invoke(targetGroups.public, 'GET', '/internal/metrics', { token });
    expect(metrics.statusCode).toBe(404);
    // Nothing was created: the internal app does not know the id either.
    expect(
      (await invoke(targetGroups.internal, 'GET', `/internal/assets/${body.id}`, { token })).statusCode,
    ).toBe(404);
  });

  it('sends nothing to the internal app when no internal target group is configured', async () => {
    const unconfigured = createDataApiLambda(() => testConfig(storage.config));
    try {
      const result = await unconfigured.handler(
        albEvent(targetGroups.internal, 'GET', '/internal/metrics', { token: await serviceToken() }),
        lambdaContext(),
      );
      expect(result.statusCode).toBe(404);
    } finally {
      await unconfigured.close();
    }
  });
});

describe('sweep-deleted events', () => {
  it('removes the objects of a flagged tombstone and reports it', async () => {
    const asset = await flaggedTombstone();
    const summary = await lambda.handler({ task: 'sweep-deleted' }, lambdaContext());
    expect(summary).toEqual({ swept: 1, failed: 0, remaining: false, batches: 1 });
    expect(await exists(asset.originalKey)).toBe(false);
    expect(await lambda.handler({ task: 'sweep-deleted' }, lambdaContext())).toEqual({
      swept: 0,
      failed: 0,
      remaining: false,
      batches: 1,
    });
  });

  it('runs batches until nothing is left, and no new batch once time runs short', async () => {
    const assets = [await flaggedTombstone(), await flaggedTombstone(), await flaggedTombstone()];

    const short = await lambda.handler(
      { task: 'sweep-deleted', limit: 1 },
      lambdaContext(sweepTimeReserveMs),
    );
    expect(short).toEqual({ swept: 1, failed: 0, remaining: true, batches: 1 });

    const rest = await lambda.handler({ task: 'sweep-deleted', limit: 1 }, lambdaContext());
    expect(rest).toEqual({ swept: 2, failed: 0, remaining: false, batches: 2 });
    for (const asset of assets) expect(await exists(asset.originalKey)).toBe(false);
  });

  it('stops after a batch with failures, leaving them flagged for the next run', async () => {
    const asset = await flaggedTombstone();
    const failing = createDataApiLambda(() =>
      testConfig({ ...storage.config, ASSETS_BUCKET: storage.missingBucket }),
    );
    try {
      expect(await failing.handler({ task: 'sweep-deleted', limit: 1 }, lambdaContext())).toEqual({
        swept: 0,
        failed: 1,
        remaining: true,
        batches: 1,
      });
    } finally {
      await failing.close();
    }
    expect(await lambda.handler({ task: 'sweep-deleted' }, lambdaContext())).toMatchObject({ swept: 1 });
    expect(await exists(asset.originalKey)).toBe(false);
  });
});

describe('other events', () => {
  it('rejects them, naming what it expects', async () => {
    for (const event of [
      {},
      null,
      'sweep-deleted',
      { task: 'sweep-everything' },
      { task: 'sweep-deleted', limit: 0 },
      { task: 'sweep-deleted', extra: true },
      { httpMethod: 'GET', path: '/healthz', requestContext: {} },
    ]) {
      await expect(lambda.handler(event, lambdaContext()), JSON.stringify(event)).rejects.toThrow(
        /data-api Lambda: unsupported event .*expected an ALB request or \{ "task": "sweep-deleted"/,
      );
    }
  });
});

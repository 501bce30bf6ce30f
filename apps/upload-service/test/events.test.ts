import { ListObjectVersionsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { createS3Client, createSfnClient } from '@stateless/aws';
import { createDataApiInternalClient, mintServiceToken, mintUserToken } from '@stateless/contracts';
import { afterAll, describe, expect, it } from 'vitest';
import { createUploadEventHandler } from '../src/lib/upload-events.ts';
import {
  app,
  cloud,
  dataApi as dataApis,
  dataApiUrl,
  handleUploadEvents,
  secret,
  serviceSecret,
} from './service.ts';

const sfn = createSfnClient({ region: cloud.region });
const s3 = createS3Client({ region: cloud.region, forcePathStyle: true });
afterAll(() => {
  sfn.destroy();
  s3.destroy();
});
const bucket = cloud.names.assetsBucket;
const dataApi = createDataApiInternalClient({
  baseUrl: dataApiUrl,
  token: () => mintServiceToken(serviceSecret, 'events-test'),
});

/** A PENDING asset created the way Uppy does (GET /uploads/s3/params). */
async function pendingUpload() {
  const token = await mintUserToken(secret, 'carol');
  const response = await app.inject({
    url: '/uploads/s3/params?filename=a.png&type=image/png',
    headers: { authorization: `Bearer ${token}` },
  });
  return response.json() as { assetId: string; key: string };
}

const objectCreated = (messageId: string, key: string, versionId?: string) => ({
  messageId,
  body: JSON.stringify({
    source: 'aws.s3',
    'detail-type': 'Object Created',
    detail: {
      bucket: { name: bucket },
      object: { key, size: 100, ...(versionId ? { 'version-id': versionId } : {}) },
    },
  }),
});

/** Writes the key as the presigned form would (moto checks no policy): the version S3 made. */
async function write(key: string, body: string) {
  const { VersionId } = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  if (!VersionId) throw new Error('the bucket is not versioned');
  return VersionId;
}

/** Every version of the key, oldest first. */
async function versionsOf(key: string) {
  const { Versions = [], DeleteMarkers = [] } = await s3.send(
    new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }),
  );
  expect(DeleteMarkers.filter((marker) => marker.Key === key)).toEqual([]);
  return Versions.filter((version) => version.Key === key)
    .sort((a, b) => (a.LastModified?.getTime() ?? 0) - (b.LastModified?.getTime() ?? 0))
    .map((version) => version.VersionId);
}

const executionsOf = async (assetId: string) => {
  const { executions = [] } = await sfn.send(
    new ListExecutionsCommand({ stateMachineArn: cloud.stateMachineArn }),
  );
  return executions.filter((execution) => execution.name === assetId);
};

describe('upload events (EventBridge Object Created via SQS)', () => {
  it('moves the asset to UPLOADED and starts exactly one execution for a duplicated event', async () => {
    const { assetId, key } = await pendingUpload();
    expect((await dataApi.getAsset(assetId)).status).toBe('PENDING');
    const first = await handleUploadEvents({ Records: [objectCreated('m1', key), objectCreated('m2', key)] });
    const redelivered = await handleUploadEvents({ Records: [objectCreated('m1', key)] });
    expect(first).toEqual({ batchItemFailures: [] });
    expect(redelivered).toEqual({ batchItemFailures: [] });
    expect(await executionsOf(assetId)).toHaveLength(1);
    expect((await dataApi.getAsset(assetId)).status).not.toBe('PENDING');
  });

  it('starts no execution for an asset the pipeline already moved on (past UPLOADED), even one that never had one', async () => {
    const { assetId, key } = await pendingUpload();
    // As an imported or seeded asset would be: processed, with no execution of its own.
    for (const status of ['UPLOADED', 'PROCESSING', 'READY'] as const)
      await dataApi.moveStatus(assetId, { status });
    expect(await handleUploadEvents({ Records: [objectCreated('late', key)] })).toEqual({
      batchItemFailures: [],
    });
    expect(await executionsOf(assetId)).toEqual([]);
    expect((await dataApi.getAsset(assetId)).status).toBe('READY');
  });

  it('ignores events that are not for an original, and reports the records that failed', async () => {
    const ignored = await handleUploadEvents({
      Records: [
        { messageId: 'junk', body: 'not json' },
        objectCreated('thumb', 'thumbnails/x/small.webp'),
        objectCreated('unknown', 'originals/no-such-asset-here'),
      ],
    });
    expect(ignored).toEqual({ batchItemFailures: [] });
    const { key } = await pendingUpload();
    const unreachable = createUploadEventHandler({
      dataApi: createDataApiInternalClient({ baseUrl: 'http://127.0.0.1:1', token: 't', timeoutMs: 1000 }),
      s3,
      sfn,
      stateMachineArn: cloud.stateMachineArn,
      log: { warn: () => {} },
    });
    const failed = await unreachable({
      Records: [objectCreated('ok', 'thumbnails/x'), objectCreated('bad', key)],
    });
    expect(failed).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
  });

  describe('a later write to the key (the same presigned form, replayed)', () => {
    const noFailures = { batchItemFailures: [] };

    it('after READY: that version is deleted, the uploaded one stays, and a redelivery of either changes nothing', async () => {
      const { assetId, key } = await pendingUpload();
      const uploaded = await write(key, 'the bytes that were checked');
      expect(await handleUploadEvents({ Records: [objectCreated('first', key, uploaded)] })).toEqual(
        noFailures,
      );
      expect(await dataApi.getAsset(assetId)).toMatchObject({
        status: 'UPLOADED',
        originalVersionId: uploaded,
      });
      // The pipeline's moves (the execution the event started is not run here).
      await dataApi.moveStatus(assetId, { status: 'PROCESSING' });
      await dataApi.moveStatus(assetId, { status: 'READY' });
      const replayed = await write(key, 'other bytes, the same size!');
      const events = [objectCreated('replayed', key, replayed), objectCreated('first', key, uploaded)];
      expect(await handleUploadEvents({ Records: events })).toEqual(noFailures);
      expect(await handleUploadEvents({ Records: events })).toEqual(noFailures);
      expect(await versionsOf(key)).toEqual([uploaded]);
      expect(await dataApi.getAsset(assetId)).toMatchObject({ status: 'READY', originalVersionId: uploaded });
      expect(await executionsOf(assetId)).toHaveLength(1);
    });

    it('before any event (a POST sent twice): whichever event comes first is the asset, the other version is deleted', async () => {
      const { assetId, key } = await pendingUpload();
      const first = await write(key, 'same bytes');
      const second = await write(key, 'same bytes');
      // EventBridge keeps no order: the second write's event arrives first.
      const result = await handleUploadEvents({ Records: [objectCreated('b', key, second)] });
      expect(result).toEqual(noFailures);
      expect(await handleUploadEvents({ Records: [objectCreated('a', key, first)] })).toEqual(noFailures);
      expect(await dataApi.getAsset(assetId)).toMatchObject({
        status: 'UPLOADED',
        originalVersionId: second,
      });
      expect(await versionsOf(key)).toEqual([second]);
      expect(await executionsOf(assetId)).toHaveLength(1);
    });

    it('after DELETE: the key is put back by the form, and its event empties it again', async () => {
      const { assetId, key } = await pendingUpload();
      const uploaded = await write(key, 'hello');
      await handleUploadEvents({ Records: [objectCreated('first', key, uploaded)] });
      const token = await mintUserToken(secret, 'carol');
      const deleted = await dataApis.publicApp.inject({
        method: 'DELETE',
        url: `/assets/${assetId}`,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(deleted.statusCode).toBe(204);
      expect(await versionsOf(key)).toEqual([]);
      const putBack = await write(key, 'hello');
      const event = objectCreated('after-delete', key, putBack);
      expect(await handleUploadEvents({ Records: [event] })).toEqual(noFailures);
      expect(await handleUploadEvents({ Records: [event] })).toEqual(noFailures);
      expect(await versionsOf(key)).toEqual([]);
    });
  });
});

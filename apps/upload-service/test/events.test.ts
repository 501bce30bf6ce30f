import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { createSfnClient } from '@stateless/aws';
import { createDataApiInternalClient, mintServiceToken, mintUserToken } from '@stateless/contracts';
import { afterAll, describe, expect, it } from 'vitest';
import { createUploadEventHandler } from '../src/lib/upload-events.ts';
import { app, cloud, dataApiUrl, handleUploadEvents, secret, serviceSecret } from './service.ts';

const sfn = createSfnClient({ region: cloud.region });
afterAll(() => sfn.destroy());
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

const objectCreated = (messageId: string, key: string) => ({
  messageId,
  body: JSON.stringify({
    source: 'aws.s3',
    'detail-type': 'Object Created',
    detail: { bucket: { name: cloud.names.assetsBucket }, object: { key, size: 100 } },
  }),
});

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
      sfn,
      stateMachineArn: cloud.stateMachineArn,
      log: { warn: () => {} },
    });
    const failed = await unreachable({
      Records: [objectCreated('ok', 'thumbnails/x'), objectCreated('bad', key)],
    });
    expect(failed).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
  });
});

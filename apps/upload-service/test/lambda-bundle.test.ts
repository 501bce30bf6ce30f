import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { createSfnClient } from '@stateless/aws';
import { createDataApiInternalClient, mintServiceToken, mintUserToken } from '@stateless/contracts';
import {
  albEvent,
  type BuiltPackage,
  buildPackage,
  declaredNodeMajor,
  invokePackage,
  resultOf,
} from '@stateless/lambda-build/testing';
import type { ALBResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloud, dataApiUrl, secret, serviceSecret } from './service.ts';

/**
 * The deployment package itself: the app's `build` script, then `lambda.handler` from the
 * unzipped package in a plain Node process with only the environment infra would give it.
 */
const appDir = new URL('..', import.meta.url).pathname;
const targetGroupArn =
  'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/dev-upload-service/0a1b2c3d4e5f6a7b';
let pkg: BuiltPackage;
const sfn = createSfnClient({ region: cloud.region });
const dataApi = createDataApiInternalClient({
  baseUrl: dataApiUrl,
  token: () => mintServiceToken(serviceSecret, 'lambda-bundle-test'),
});

beforeAll(async () => {
  pkg = await buildPackage(appDir);
}, 120_000);
afterAll(async () => {
  sfn.destroy();
  await pkg?.remove();
});

const invoke = <T>(events: unknown[]) =>
  invokePackage<T>(pkg, events, {
    ...cloud.env,
    LOG_LEVEL: 'warn',
    DATA_API_INTERNAL_URL: dataApiUrl,
    AUTH_JWT_SECRET: secret,
    SERVICE_TOKEN_SECRET: serviceSecret,
  });

/** An SQS record as Lambda's event source mapping delivers it: an EventBridge Object Created event. */
const sqsRecord = (messageId: string, key: string) => ({
  messageId,
  receiptHandle: `receipt-${messageId}`,
  body: JSON.stringify({
    source: 'aws.s3',
    'detail-type': 'Object Created',
    detail: { bucket: { name: cloud.names.assetsBucket }, object: { key, size: 100 } },
  }),
  attributes: { ApproximateReceiveCount: '1' },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:dev-upload-events',
  awsRegion: 'us-east-1',
});

describe('the built Lambda package', () => {
  it('is one lambda.mjs', () => {
    expect(pkg.files).toEqual(['lambda.mjs']);
  });

  it('serves ALB requests (the Companion routes) and SQS batches of upload events', async () => {
    const token = await mintUserToken(secret, 'lambda-bundle-user');
    const served = await invoke<ALBResult>([
      albEvent(targetGroupArn, 'GET', '/uploads/s3/params', {
        query: { filename: 'photo.png', type: 'image/png' },
        headers: { authorization: `Bearer ${token}` },
      }),
      albEvent(targetGroupArn, 'GET', '/uploads/s3/params', {
        query: { filename: 'a.png', type: 'image/png' },
      }),
    ]);
    // On the Node major the Lambda runtime is deployed with.
    expect(served.node.split('.')[0]).toBe(await declaredNodeMajor());
    const [signed, anonymous] = served.outcomes.map(resultOf);
    expect(signed?.statusCode).toBe(200);
    const params = JSON.parse(signed?.body ?? '');
    expect(params).toMatchObject({ method: 'POST', fields: { key: `originals/${params.assetId}` } });
    expect((await dataApi.getAsset(params.assetId)).status).toBe('PENDING');
    expect(anonymous?.statusCode).toBe(401);
    expect(JSON.parse(anonymous?.body ?? '')).toMatchObject({ error: { code: 'Unauthorized' } });

    // The same event twice in one batch: one execution, named after the asset.
    const key = `originals/${params.assetId}`;
    const [batch] = (
      await invoke<{ batchItemFailures: unknown[] }>([
        { Records: [sqsRecord('m1', key), sqsRecord('m2', key)] },
      ])
    ).outcomes.map(resultOf);
    expect(batch).toEqual({ batchItemFailures: [] });
    const { executions = [] } = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: cloud.stateMachineArn }),
    );
    expect(executions.filter((execution) => execution.name === params.assetId)).toHaveLength(1);
    expect((await dataApi.getAsset(params.assetId)).status).not.toBe('PENDING');
  });
});

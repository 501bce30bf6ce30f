import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { createS3Client, createSfnClient } from '@stateless/aws';
import { loadEnv, workflowWorkerEnv } from '@stateless/config';
import { createDataApiInternalClient, serviceTokenSource } from '@stateless/contracts';
import { buildApps } from '@stateless/data-api';
import { testConfig } from '@stateless/data-api/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../src/app.ts';

/**
 * The whole pipeline on the local Step Functions server, with the worker at the cloud's
 * Lambda endpoint and a data API in front of which a real HTTP server misbehaves on cue.
 */
const cloud = inject('cloud');
const secret = 'outage-test-secret-that-is-at-least-32-characters';
const dataApis = await buildApps(testConfig({ SERVICE_TOKEN_SECRET: secret }));

type Answer = 'unavailable' | 'dropped' | 'forbidden';
/** What the next requests get instead of the data API's answer (`undefined`: passed on); then all pass. */
const script: (Answer | undefined)[] = [];
const seen: (Answer | 'passed')[] = [];

async function relay(upstream: string, request: IncomingMessage, response: ServerResponse) {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const answer = script.shift();
  seen.push(answer ?? 'passed');
  if (answer === 'dropped') {
    request.socket.destroy();
    return;
  }
  if (answer) {
    const status = answer === 'unavailable' ? 503 : 403;
    const error = { code: answer === 'unavailable' ? 'ServiceUnavailable' : 'Forbidden', message: answer };
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error }));
    return;
  }
  const headers = Object.fromEntries(
    Object.entries(request.headers).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string' && entry[0] !== 'host',
    ),
  );
  const body = Buffer.concat(chunks);
  const upstreamResponse = await fetch(`${upstream}${request.url}`, {
    method: request.method ?? 'GET',
    headers,
    ...(body.byteLength > 0 ? { body } : {}),
  });
  response
    .writeHead(upstreamResponse.status, {
      'content-type': upstreamResponse.headers.get('content-type') ?? 'application/json',
    })
    .end(Buffer.from(await upstreamResponse.arrayBuffer()));
}

const flaky = createServer();
let worker: Awaited<ReturnType<typeof buildApp>>;
let dataApi: ReturnType<typeof createDataApiInternalClient>;
const s3 = createS3Client({ region: cloud.region, forcePathStyle: true });
const sfn = createSfnClient({ region: cloud.region }, { endpoint: cloud.stepFunctionsEndpoint });

beforeAll(async () => {
  const upstream = await dataApis.internalApp.listen({ port: 0, host: '127.0.0.1' });
  dataApi = createDataApiInternalClient({
    baseUrl: upstream,
    token: serviceTokenSource(secret, 'workflow-worker'),
  });
  flaky.on('request', (request, response) => {
    relay(upstream, request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
  const config = loadEnv(workflowWorkerEnv, {
    ...cloud.env,
    LOG_LEVEL: 'silent',
    SERVICE_TOKEN_SECRET: secret,
    DATA_API_INTERNAL_URL: `http://127.0.0.1:${(flaky.address() as AddressInfo).port}`,
    THUMBNAIL_SIZES: 'small:160',
  });
  worker = await buildApp(config);
  // Where the cloud's Step Functions server sends every Lambda task.
  await worker.listen({ port: Number(new URL(cloud.lambdaEndpoint).port), host: '127.0.0.1' });
});
afterAll(async () => {
  await worker?.close();
  await new Promise((resolve) => flaky.close(resolve));
  await dataApis.close();
  s3.destroy();
  sfn.destroy();
});

/**
 * An asset declared as `declared` whose object (`body`) is put straight into S3 (outside
 * originals/, so no upload event fires; no POST policy checks it), run to its end.
 */
async function runPipeline(
  declared: { contentType?: string; size?: number } = { contentType: 'text/plain' },
  body: string | Uint8Array = 'hello, outage\n',
) {
  const assetId = `outage-${randomUUID()}`;
  const key = `outage-test/${assetId}`;
  await dataApi.createAsset({ id: assetId, ownerId: 'u1', originalKey: key, ...declared });
  await s3.send(new PutObjectCommand({ Bucket: cloud.names.assetsBucket, Key: key, Body: body }));
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({
      stateMachineArn: cloud.stateMachineArn,
      name: assetId,
      input: JSON.stringify({ assetId, bucket: cloud.names.assetsBucket, key }),
    }),
  );
  let status = 'RUNNING';
  for (let i = 0; i < 300 && status === 'RUNNING'; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    ({ status = 'RUNNING' } = await sfn.send(new DescribeExecutionCommand({ executionArn })));
  }
  const { events = [] } = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
  const failedTasks = events.flatMap((event) =>
    event.taskFailedEventDetails ? [event.taskFailedEventDetails.error] : [],
  );
  return { status, failedTasks, asset: await dataApi.getAsset(assetId) };
}

describe('a data API that is down during the pipeline', () => {
  it('answering 503 or unreachable: the steps are retried and the asset ends READY', async () => {
    seen.length = 0;
    // inspect: 503, then unreachable, then its read and two moves pass; finalize: 503 once.
    script.push('unavailable', 'dropped', undefined, undefined, undefined, 'unavailable');
    const { status, failedTasks, asset } = await runPipeline();
    expect(seen.slice(0, 7)).toEqual([
      ...['unavailable', 'dropped', 'passed', 'passed', 'passed'],
      ...['unavailable', 'passed'],
    ]);
    expect(failedTasks).toEqual(['DataApiUnavailable', 'DataApiUnavailable', 'DataApiUnavailable']);
    expect(status).toBe('SUCCEEDED');
    expect(asset).toMatchObject({ status: 'READY', contentType: 'text/plain', size: 14 });
  });

  it('answering 4xx: permanent, not retried, and the asset ends FAILED with a reason', async () => {
    seen.length = 0;
    script.push('forbidden');
    const { status, failedTasks, asset } = await runPipeline();
    expect(seen[0]).toBe('forbidden');
    expect(failedTasks).toEqual(['DataApiError']);
    expect(status).toBe('FAILED');
    expect(asset).toMatchObject({ status: 'FAILED' });
    expect(asset.failureReason).toMatch(/on our side/);
  });
});

describe('the pipeline holds the object to what was declared at signing', () => {
  it('an object of another size than declared ends FAILED with a reason naming both sizes', async () => {
    const { status, asset } = await runPipeline({ contentType: 'text/plain', size: 1000 }, 'x'.repeat(1500));
    expect(status).toBe('FAILED');
    expect(asset).toMatchObject({
      status: 'FAILED',
      failureReason: 'The file is 1500 bytes, but 1000 bytes were declared when it was uploaded',
    });
  });

  it('an executable declared image/png ends FAILED, the record saying what was declared and what was found', async () => {
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(3900, 0)]);
    const { status, asset } = await runPipeline({ contentType: 'image/png', size: elf.byteLength }, elf);
    expect(status).toBe('FAILED');
    expect(asset).toMatchObject({
      status: 'FAILED',
      declaredContentType: 'image/png',
      contentType: 'application/x-elf',
      failureReason: "The file's contents are not a PNG image (they look like application/x-elf)",
    });
  });
});

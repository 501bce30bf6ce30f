import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { crc32, deflateSync } from 'node:zlib';
import { HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { GetExecutionHistoryCommand, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import type { ErrorBody, MultipartCreated } from '@stateless/contracts';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { everyApp, LoadStack, repoRoot } from '../src/stack.ts';
import { openStores, type Stores } from '../src/stores.ts';
import {
  interruptedPut,
  multipartClient,
  postToS3,
  putPart,
  signSingle,
  thumbnailBytes,
  uploadSingle,
  waitForFinalStatus,
} from '../src/uploads.ts';

/**
 * Uploads through the public entry (HAProxy) of a full local stack, on what the pipeline test
 * does not cover: multipart with a resumed part, a decompression bomb, duplicate events and
 * completes, what S3 (moto) refuses and what it does not, other users' upload ids, and abort.
 */
let stack: LoadStack;
let stores: Stores;
let alice: string;
let bob: string;
const run = Date.now().toString(36);
const MiB = 1024 * 1024;

/** The AWS CLI (awscli from PyPI, in the project venv) against the stack's moto: SQS and EventBridge. */
const execFileAsync = promisify(execFile);
async function aws(...args: string[]) {
  const { stdout } = await execFileAsync(
    join(repoRoot, '.local/venv/bin/aws'),
    [
      ...args,
      '--endpoint-url',
      stack.stores.awsEndpoint,
      '--region',
      stack.stores.region,
      '--output',
      'json',
    ],
    { env: { ...process.env, ...stack.cloud.info.env } },
  );
  return stdout.trim() ? JSON.parse(stdout) : {};
}

/** A queue of this test's that also gets every event the stack's rule forwards: what moto sent. */
let capturedEvents: string;

beforeAll(async () => {
  stack = await LoadStack.start({
    // Two environments of each app kept warm, more started as the load needs them; unconstrained
    // CPU: these tests prove behaviour, not capacity.
    policies: everyApp({ min: 2, max: 16 }),
    cpu: 'off',
    logDir: mkdtempSync(join(tmpdir(), 'uploads-')),
    appEnv: { LOG_LEVEL: 'warn' },
  });
  stores = openStores(stack.stores);
  alice = await stack.userToken(`alice-${run}`);
  bob = await stack.userToken(`bob-${run}`);
  const queue = await aws('sqs', 'create-queue', '--queue-name', `captured-${run}`);
  capturedEvents = queue.QueueUrl;
  const { Attributes } = await aws(
    'sqs',
    'get-queue-attributes',
    '--queue-url',
    capturedEvents,
    '--attribute-names',
    'QueueArn',
  );
  await aws(
    'events',
    'put-targets',
    '--rule',
    stack.cloud.info.names.uploadEventsRule,
    '--targets',
    JSON.stringify([{ Id: 'captured', Arn: Attributes.QueueArn }]),
  );
});
afterAll(async () => {
  stores?.close();
  await stack?.stop();
});

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const publicUrl = () => stack.urls.public;

/** Executions of the asset pipeline named after the asset (the names the upload function gives). */
async function executionsOf(assetId: string) {
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await stores.sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: stack.stores.stateMachineArn,
        maxResults: 1000,
        nextToken,
      }),
    );
    names.push(...(page.executions ?? []).map((e) => e.name ?? ''));
    nextToken = page.nextToken;
  } while (nextToken);
  return names.filter((name) => name === assetId);
}

/** Waits until the stack's upload events queue holds nothing, visible or in flight. */
async function uploadEventsDrained() {
  for (let i = 0; i < 60; i++) {
    const { Attributes } = await aws(
      'sqs',
      'get-queue-attributes',
      '--queue-url',
      stack.cloud.info.uploadEventsQueueUrl,
      '--attribute-names',
      'ApproximateNumberOfMessages',
      'ApproximateNumberOfMessagesNotVisible',
    );
    if (
      Attributes.ApproximateNumberOfMessages === '0' &&
      Attributes.ApproximateNumberOfMessagesNotVisible === '0'
    )
      return;
    await sleep(250);
  }
  throw new Error('the upload events queue did not drain');
}

/** Nothing under the key: no object, no multipart upload in progress. */
async function s3Holds(key: string) {
  const Bucket = stack.stores.bucket;
  const objects = await stores.s3.send(new ListObjectsV2Command({ Bucket, Prefix: key }));
  const uploads = await stores.s3.send(new ListMultipartUploadsCommand({ Bucket, Prefix: key }));
  return { objects: objects.KeyCount ?? 0, uploads: uploads.Uploads?.length ?? 0 };
}

/** Peak resident memory (VmHWM, bytes) of each worker instance, from /proc. */
const workerPeaks = () =>
  stack.running('workflow-worker').map((instance) => {
    const status = readFileSync(`/proc/${instance.pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) * 1024;
  });

const pngChunk = (type: string, data: Buffer) => {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
};

/** A valid PNG header declaring `width` × `height` RGB, then `rows` rows of zeros: a few KB for any size. */
function declaredPng(width: number, height: number, rows: number) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit, truecolour, deflate, adaptive filter, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(Buffer.alloc(rows * (1 + width * 3)))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A small text file through multipart: one part, which may be under S3's 5 MiB minimum as the last. */
async function smallMultipart(token: string, bytes: Uint8Array) {
  const client = multipartClient(publicUrl(), token);
  const upload = await client.create({ name: `notes-${run}.txt`, type: 'text/plain', size: bytes.length });
  const { url } = await client.signPart(upload, 1);
  const ETag = await putPart(url, bytes);
  return { client, upload, parts: [{ PartNumber: 1, ETag }] };
}

describe('uploads through the load balancer', () => {
  it('a 30 MB PNG through multipart in three parts, part 2 dropped mid-PUT and retried after a list-parts, ends READY with its sha256, dimensions and WebP thumbnails that download', async () => {
    // Random pixels, stored uncompressed: 3200 × 3125 × 3 bytes ≈ 30 MB of PNG.
    const width = 3200;
    const height = 3125;
    const bytes = await sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } })
      .png({ compressionLevel: 0 })
      .toBuffer();
    expect(bytes.length).toBeGreaterThan(30_000_000);
    const partSize = Math.ceil(bytes.length / 3);
    const parts = [0, 1, 2].map((i) => bytes.subarray(i * partSize, (i + 1) * partSize));
    const client = multipartClient(publicUrl(), alice);
    const upload = await client.create({ name: 'big.png', type: 'image/png', size: bytes.length });
    const { presignedUrls } = await client.signParts(upload, [1, 2, 3]);
    await putPart(presignedUrls['1'] as string, parts[0] as Buffer);
    await putPart(presignedUrls['3'] as string, parts[2] as Buffer);
    await interruptedPut(presignedUrls['2'] as string, parts[1] as Buffer, 4 * MiB);

    // Resuming as Uppy does: the parts S3 holds decide what is sent again.
    const before = await client.listParts(upload);
    expect(before.map((p) => [p.PartNumber, p.Size])).toEqual([
      [1, partSize],
      [3, bytes.length - 2 * partSize],
    ]);
    const { url } = await client.signPart(upload, 2);
    await putPart(url, parts[1] as Buffer);
    const listed = await client.listParts(upload);
    expect(listed.map((p) => p.PartNumber)).toEqual([1, 2, 3]);
    const done = await client.complete(upload, listed);
    expect(done).toMatchObject({ key: upload.key, assetId: upload.assetId });

    const asset = await waitForFinalStatus(publicUrl(), alice, upload.assetId, 120_000);
    expect(asset).toMatchObject({
      status: 'READY',
      size: bytes.length,
      width,
      height,
      contentType: 'image/png',
    });
    expect(asset.sha256).toBe(sha256(bytes));
    expect(asset.thumbnails?.length).toBeGreaterThan(0);
    for (const thumbnail of asset.thumbnails ?? []) {
      expect(Math.abs(thumbnail.width / thumbnail.height - width / height)).toBeLessThan(0.02);
      const webp = await thumbnailBytes(publicUrl(), alice, asset.id, thumbnail.name);
      expect(await sharp(webp).metadata()).toMatchObject({
        format: 'webp',
        width: thumbnail.width,
        height: thumbnail.height,
      });
    }
  });

  it('a decompression bomb (a 1 KB PNG declaring 50,000 × 50,000) ends FAILED with a readable reason, worker peak memory flat', async () => {
    const bomb = declaredPng(50_000, 50_000, 4);
    expect(bomb.length).toBeLessThan(2048);
    const peaksBefore = workerPeaks();
    const started = Date.now();
    const id = await uploadSingle(publicUrl(), alice, { name: 'bomb.png', type: 'image/png', bytes: bomb });
    const asset = await waitForFinalStatus(publicUrl(), alice, id, 30_000);
    console.info(`decompression bomb FAILED after ${Date.now() - started} ms`);
    expect(asset.status).toBe('FAILED');
    expect(asset.failureReason).toMatch(/50000 × 50000 pixels/);
    expect(asset.failureReason).not.toMatch(/at .*\.(ts|js):\d+/);
    expect(asset.thumbnails ?? []).toEqual([]);
    // Refused at the header, once: Inspect fails without a retry (a permanent error) and no
    // Thumbnail step ever runs, so nothing tried to decode it.
    // An execution's ARN is its state machine's with :execution: and the name (the asset id).
    const executionArn = `${stack.stores.stateMachineArn.replace(':stateMachine:', ':execution:')}:${id}`;
    const { events = [] } = await stores.sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }),
    );
    const tasks = events.flatMap((e) =>
      e.type === 'TaskStateEntered' ? [e.stateEnteredEventDetails?.name] : [],
    );
    expect(tasks).toEqual(['Inspect', 'MarkFailed']);
    // 7.5 GB once decoded; the worker read the header only.
    const growth = workerPeaks().map((peak, i) => peak - (peaksBefore[i] ?? 0));
    expect(Math.max(...growth)).toBeLessThan(64 * MiB);
  });

  it('bytes that are not their declared type: unrecognisable bytes declared PNG end FAILED with a reason; a JPEG declared PNG ends READY as JPEG, the declared type kept', async () => {
    const junk = randomBytes(4096);
    const jpeg = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#c63' } })
      .jpeg()
      .toBuffer();
    const [failed, relabelled] = await Promise.all(
      [junk, jpeg].map(async (bytes, i) =>
        waitForFinalStatus(
          publicUrl(),
          alice,
          await uploadSingle(publicUrl(), alice, { name: `claims-${i}.png`, type: 'image/png', bytes }),
        ),
      ),
    );
    expect(failed?.status).toBe('FAILED');
    expect(failed?.failureReason).toMatch(/\w{3,}/);
    expect(failed?.failureReason).not.toMatch(/at .*\.(ts|js):\d+/);
    expect(relabelled).toMatchObject({
      status: 'READY',
      contentType: 'image/jpeg',
      declaredContentType: 'image/png',
      width: 300,
      height: 200,
      sha256: sha256(jpeg),
    });
  });

  it('the same S3 event delivered again (what moto sent, re-sent to the queue) starts no second execution', async () => {
    const text = new TextEncoder().encode(`once ${run}\n`);
    const assetId = await uploadSingle(publicUrl(), alice, {
      name: 'once.txt',
      type: 'text/plain',
      bytes: text,
    });
    const first = await waitForFinalStatus(publicUrl(), alice, assetId);
    expect(first.status).toBe('READY');

    let body: string | undefined;
    for (let i = 0; i < 10 && !body; i++) {
      const { Messages = [] } = await aws(
        'sqs',
        'receive-message',
        '--queue-url',
        capturedEvents,
        '--max-number-of-messages',
        '10',
        '--wait-time-seconds',
        '1',
      );
      body = (Messages as { Body: string }[]).find(
        (m) => JSON.parse(m.Body).detail?.object?.key === `originals/${assetId}`,
      )?.Body;
    }
    if (!body) throw new Error('moto sent no Object Created event for the upload');
    expect(JSON.parse(body)).toMatchObject({ source: 'aws.s3', 'detail-type': 'Object Created' });
    for (let i = 0; i < 2; i++) {
      await aws(
        'sqs',
        'send-message',
        '--queue-url',
        stack.cloud.info.uploadEventsQueueUrl,
        '--message-body',
        body,
      );
    }
    await uploadEventsDrained();

    expect(await executionsOf(assetId)).toEqual([assetId]);
    const after = await waitForFinalStatus(publicUrl(), alice, assetId);
    expect(after).toMatchObject({ status: 'READY', version: first.version });
  });

  it('a complete sent twice at once and once more after READY answers the same each time, with one execution', async () => {
    const text = new TextEncoder().encode(`completed ${run}\n`.repeat(50));
    const { client, upload, parts } = await smallMultipart(alice, text);
    const answers = await Promise.all([client.complete(upload, parts), client.complete(upload, parts)]);
    expect(answers[1]).toEqual(answers[0]);
    const asset = await waitForFinalStatus(publicUrl(), alice, upload.assetId);
    expect(asset).toMatchObject({ status: 'READY', sha256: sha256(text) });
    expect(await client.complete(upload, parts)).toEqual(answers[0]);
    await uploadEventsDrained();
    expect(await executionsOf(upload.assetId)).toEqual([upload.assetId]);
  });

  it('moto does not evaluate POST policies (it stores another type and size than signed), so the signed policy itself is checked: exact size, type, key, bucket', async () => {
    const declared = randomBytes(100);
    const post = await signSingle(publicUrl(), alice, {
      name: 'a.txt',
      type: 'text/plain',
      size: declared.length,
    });
    const policy = JSON.parse(Buffer.from(post.fields.Policy ?? '', 'base64').toString('utf8'));
    expect(policy.conditions).toEqual(
      expect.arrayContaining([
        ['content-length-range', declared.length, declared.length],
        ['eq', '$Content-Type', 'text/plain'],
        { key: post.key },
        { bucket: stack.stores.bucket },
      ]),
    );
    expect(post.fields['X-Amz-Signature']).toMatch(/^[0-9a-f]{64}$/);
    // What real S3 answers 403 (policy conditions not met), moto stores:
    const stored = await postToS3(post, randomBytes(300), { 'Content-Type': 'text/html' });
    expect(stored.status).toBe(204);
    const head = await stores.s3.send(new HeadObjectCommand({ Bucket: stack.stores.bucket, Key: post.key }));
    expect({ type: head.ContentType, size: head.ContentLength }).toEqual({ type: 'text/html', size: 300 });
  });

  it('S3 (moto) refuses a multipart whose first part is under 5 MiB: complete answers 400 and no object exists', async () => {
    const client = multipartClient(publicUrl(), alice);
    const small = randomBytes(1 * MiB);
    const upload = await client.create({
      name: 'tiny-parts.pdf',
      type: 'application/pdf',
      size: 2 * small.length,
    });
    const { presignedUrls } = await client.signParts(upload, [1, 2]);
    const parts = [
      { PartNumber: 1, ETag: await putPart(presignedUrls['1'] as string, small) },
      { PartNumber: 2, ETag: await putPart(presignedUrls['2'] as string, small) },
    ];
    const refused = await client.request('POST', client.paths(upload).complete, { parts });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as ErrorBody).error).toMatchObject({
      code: 'ValidationError',
      message: expect.stringContaining('EntityTooSmall'),
    });
    // A wrong ETag is refused the same way.
    const wrongEtag = await client.request('POST', client.paths(upload).complete, {
      parts: [{ PartNumber: 1, ETag: '"0123456789abcdef0123456789abcdef"' }],
    });
    expect(wrongEtag.status).toBe(400);
    expect(await s3Holds(upload.key)).toEqual({ objects: 0, uploads: 1 });
    await client.abort(upload);
  });

  it('the service refuses a multipart whose parts do not add up to the declared size (S3 cannot pin a total): 400, nothing stored', async () => {
    const bytes = randomBytes(1000);
    const client = multipartClient(publicUrl(), alice);
    const upload = await client.create({ name: 'short.txt', type: 'text/plain', size: bytes.length + 1 });
    const { url } = await client.signPart(upload, 1);
    const parts = [{ PartNumber: 1, ETag: await putPart(url, bytes) }];
    const refused = await client.request('POST', client.paths(upload).complete, { parts });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as ErrorBody).error.message).toMatch(
      /1000 bytes; the upload declared 1001/,
    );
    expect(await s3Holds(upload.key)).toEqual({ objects: 0, uploads: 1 });
    await client.abort(upload);
  });

  it('a part PUT cannot change the type: the object has the type signed at create', async () => {
    const bytes = new TextEncoder().encode('typed once\n');
    const client = multipartClient(publicUrl(), alice);
    const upload = await client.create({ name: 'typed.txt', type: 'text/plain', size: bytes.length });
    const { url } = await client.signPart(upload, 1);
    const ETag = await putPart(url, bytes, { 'content-type': 'text/html' });
    await client.complete(upload, [{ PartNumber: 1, ETag }]);
    const head = await stores.s3.send(
      new HeadObjectCommand({ Bucket: stack.stores.bucket, Key: upload.key }),
    );
    expect(head.ContentType).toBe('text/plain');
  });

  it("another user's upload gives 404 on every multipart route: their key and id, or one's own key with an id not its own", async () => {
    const { client: aliceClient, upload } = await smallMultipart(alice, randomBytes(2000));
    const bobClient = multipartClient(publicUrl(), bob);
    const bobs = await bobClient.create({ name: 'bob.txt', type: 'text/plain', size: 10 });
    const parts = [{ PartNumber: 1, ETag: '"0123456789abcdef0123456789abcdef"' }];
    for (const target of [upload, { ...bobs, uploadId: `${upload.uploadId}x` }]) {
      const paths = bobClient.paths(target);
      for (const [method, path, body] of [
        ['GET', paths.list],
        ['GET', paths.batch([1, 2])],
        ['GET', paths.sign(1)],
        ['POST', paths.complete, { parts }],
        ['DELETE', paths.abort],
      ] as const) {
        const res = await bobClient.request(method, path, body);
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(((await res.json()) as ErrorBody).error.code).toBe('NotFound');
      }
    }
    // Alice's upload is untouched.
    expect((await aliceClient.listParts(upload)).map((p) => p.PartNumber)).toEqual([1]);
  });

  it("moto does not bind an upload id to its key, the service does: Alice's id under Bob's own key is a 404", async () => {
    const { upload } = await smallMultipart(alice, randomBytes(2000));
    const bobClient = multipartClient(publicUrl(), bob);
    const bobs = await bobClient.create({ name: 'bob.txt', type: 'text/plain', size: 10 });
    const crossed: MultipartCreated = { ...bobs, uploadId: upload.uploadId };
    // moto would list Alice's part (real S3 answers NoSuchUpload); the asset records its upload id.
    const listed = await bobClient.request('GET', bobClient.paths(crossed).list);
    expect(listed.status).toBe(404);
  });

  it('an aborted multipart upload leaves nothing in S3 (ListMultipartUploads, ListObjectsV2) and its id is then 404', async () => {
    const client = multipartClient(publicUrl(), alice);
    const part = randomBytes(5 * MiB);
    const upload = await client.create({
      name: 'dropped.pdf',
      type: 'application/pdf',
      size: 2 * part.length,
    });
    const { presignedUrls } = await client.signParts(upload, [1]);
    await putPart(presignedUrls['1'] as string, part);
    expect(await s3Holds(upload.key)).toEqual({ objects: 0, uploads: 1 });
    expect(await client.abort(upload)).toEqual({ assetId: upload.assetId });
    expect(await s3Holds(upload.key)).toEqual({ objects: 0, uploads: 0 });
    const listed = await client.request('GET', client.paths(upload).list);
    expect(listed.status).toBe(404);
  });
});

/**
 * Conformance of the local SQS event source mapping against moto's SQS (and, for the
 * trigger, moto's S3 → EventBridge → SQS): the event Lambda builds, batches, partial
 * batch responses, redelivery after the visibility timeout, redrive to the dead-letter
 * queue, and at-least-once delivery.
 */
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { createS3Client } from '@stateless/aws';
import { resourceNames } from '@stateless/topology';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { createUploadEvents, lambdaArn } from '../src/bootstrap.ts';
import {
  type SqsEvent,
  type SqsEventSourceOptions,
  type SqsRecord,
  startSqsEventSource,
} from '../src/sqs-event-source/index.ts';
import { type FunctionAnswer, startLambdaFunctionServer } from './fixtures/lambda-function.ts';

const { awsEndpoint, region } = inject('cloud');
const sqs = new SQSClient({ region });
const functionArn = lambdaArn(region, 'consumer');
const stops: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});
afterAll(() => sqs.destroy());

const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

async function queueArnOf(QueueUrl: string) {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  return Attributes?.QueueArn as string;
}

/** A queue (visibility timeout 1 s) with a dead-letter queue after `maxReceiveCount` receives. */
async function queueWithDeadLetters(maxReceiveCount = 5) {
  const name = unique('esm');
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const deadLetterTargetArn = await queueArnOf(dlq.QueueUrl as string);
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: '1',
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn, maxReceiveCount }),
      },
    }),
  );
  const url = queue.QueueUrl as string;
  return { url, arn: await queueArnOf(url), dlqUrl: dlq.QueueUrl as string };
}

const sendAll = async (QueueUrl: string, bodies: string[]) => {
  for (let i = 0; i < bodies.length; i += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: bodies.slice(i, i + 10).map((MessageBody, j) => ({ Id: String(j), MessageBody })),
      }),
    );
  }
};

/** Messages still in the queue, visible or in flight. */
async function messagesIn(QueueUrl: string) {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible)
  );
}

async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 15_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** A function answering with `answer(event, call)`; the mapping polling `queueUrl` into it. */
async function consume(
  queueUrl: string,
  answer: (event: SqsEvent, call: number) => FunctionAnswer | Promise<FunctionAnswer>,
  options: Partial<SqsEventSourceOptions> = {},
) {
  const events: SqsEvent[] = [];
  const fn = await startLambdaFunctionServer(async (payload) => {
    const event = payload as SqsEvent;
    events.push(event);
    return answer(event, events.length);
  });
  const source = await startSqsEventSource({
    sqsEndpoint: awsEndpoint,
    queueUrl,
    lambdaEndpoint: fn.url,
    functionName: functionArn,
    region,
    waitTimeSeconds: 1,
    ...options,
  });
  stops.push(async () => {
    await source.stop();
    await fn.close();
  });
  const records = () => events.flatMap((event) => event.Records);
  const deliveriesOf = (body: string) => records().filter((record) => record.body === body);
  return { fn, source, events, records, deliveriesOf };
}

const ok: FunctionAnswer = { result: null };
const failWith = (errorType: string): FunctionAnswer => ({
  functionError: { errorType, errorMessage: `${errorType} on purpose` },
});
const failing = (...records: SqsRecord[]): FunctionAnswer => ({
  result: { batchItemFailures: records.map((r) => ({ itemIdentifier: r.messageId })) },
});

describe('SQS event source mapping', () => {
  it('hands the function the event Lambda builds, then deletes the message', async () => {
    const queue = await queueWithDeadLetters();
    const { MessageId } = await sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.url,
        MessageBody: '{"hello":"world"}',
        MessageAttributes: {
          kind: { DataType: 'String', StringValue: 'greeting' },
          blob: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 3]) },
        },
      }),
    );
    const { fn, records } = await consume(queue.url, () => ok);
    const [record] = await waitFor('the delivery', () => (records().length ? records() : undefined));

    expect(Object.keys(record as SqsRecord).sort()).toEqual(
      [
        'attributes',
        'awsRegion',
        'body',
        'eventSource',
        'eventSourceARN',
        'md5OfBody',
        'md5OfMessageAttributes',
        'messageAttributes',
        'messageId',
        'receiptHandle',
      ].sort(),
    );
    expect(record).toMatchObject({
      messageId: MessageId,
      body: '{"hello":"world"}',
      md5OfBody: createHash('md5').update('{"hello":"world"}').digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: region,
      messageAttributes: {
        kind: { stringValue: 'greeting', stringListValues: [], binaryListValues: [], dataType: 'String' },
        blob: { binaryValue: 'AQID', stringListValues: [], binaryListValues: [], dataType: 'Binary' },
      },
    });
    expect(record?.receiptHandle).toMatch(/\S{20,}/);
    expect(Object.keys(record?.attributes ?? {}).sort()).toEqual(
      ['ApproximateFirstReceiveTimestamp', 'ApproximateReceiveCount', 'SenderId', 'SentTimestamp'].sort(),
    );
    expect(record?.attributes.ApproximateReceiveCount).toBe('1');
    expect(Number(record?.attributes.SentTimestamp)).toBeGreaterThan(Date.now() - 60_000);
    expect(fn.invocations[0]?.functionName).toBe('consumer');
    await waitFor('the delete', async () => (await messagesIn(queue.url)) === 0);
  });

  it('keeps the queue order in batches of at most batchSize, delivering each message once', async () => {
    const queue = await queueWithDeadLetters();
    const bodies = Array.from({ length: 25 }, (_, i) => `m${i}`);
    await sendAll(queue.url, bodies);
    const { events, records } = await consume(queue.url, () => ok, { batchSize: 4, maximumConcurrency: 1 });
    await waitFor('every message', () => records().length >= 25);
    await sleep(1_500); // past the visibility timeout: a message not deleted would come back

    expect(records().map((r) => r.body)).toEqual(bodies);
    expect(Math.max(...events.map((e) => e.Records.length))).toBe(4);
    expect(await messagesIn(queue.url)).toBe(0);
  });

  it('retries only the records the function reports failed (ReportBatchItemFailures)', async () => {
    const queue = await queueWithDeadLetters();
    await sendAll(queue.url, ['a', 'b', 'c']);
    const { events, deliveriesOf } = await consume(
      queue.url,
      (event, call) => (call === 1 ? failing(...event.Records.filter((r) => r.body === 'b')) : ok),
      { reportBatchItemFailures: true },
    );
    await waitFor('the retry of b', () => deliveriesOf('b').length === 2);
    await sleep(1_500);

    expect(events[0]?.Records.map((r) => r.body)).toEqual(['a', 'b', 'c']);
    expect(events[1]?.Records.map((r) => r.body)).toEqual(['b']);
    expect(deliveriesOf('b').map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
    expect(deliveriesOf('a')).toHaveLength(1);
    expect(deliveriesOf('c')).toHaveLength(1);
    expect(await messagesIn(queue.url)).toBe(0);
  });

  const unusable: [string, (event: SqsEvent) => FunctionAnswer][] = [
    ['a function error', () => failWith('Boom')],
    ['an unknown itemIdentifier', () => ({ result: { batchItemFailures: [{ itemIdentifier: 'nope' }] } })],
    ['an empty itemIdentifier', () => ({ result: { batchItemFailures: [{ itemIdentifier: '' }] } })],
    ['a wrongly named key', (e) => ({ result: { batchItemFailures: [{ id: e.Records[0]?.messageId }] } })],
    ['invalid JSON', () => ({ rawText: '{"batchItemFailures": [' })],
  ];
  it.each(unusable)('retries the whole batch after %s', async (_case, firstAnswer) => {
    const queue = await queueWithDeadLetters();
    await sendAll(queue.url, ['x', 'y']);
    // Every first delivery gets the unusable answer, however the pollers split the two messages.
    const firstDelivery = (event: SqsEvent) =>
      event.Records.every((r) => r.attributes.ApproximateReceiveCount === '1');
    const { deliveriesOf } = await consume(
      queue.url,
      (event) => (firstDelivery(event) ? firstAnswer(event) : ok),
      { reportBatchItemFailures: true },
    );
    await waitFor('both retried', () => deliveriesOf('x').length === 2 && deliveriesOf('y').length === 2);
    expect(deliveriesOf('y').map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
    await waitFor('the delete', async () => (await messagesIn(queue.url)) === 0);
  });

  it('treats an empty or null answer as success, and ignores batchItemFailures unless enabled', async () => {
    const queue = await queueWithDeadLetters();
    await sendAll(queue.url, ['p', 'q']);
    const { records } = await consume(queue.url, (event) => failing(...event.Records));
    await waitFor('the delivery', () => records().length === 2);
    await sleep(1_500);
    expect(records()).toHaveLength(2);
    expect(await messagesIn(queue.url)).toBe(0);

    const second = await queueWithDeadLetters();
    await sendAll(second.url, ['r', 's']);
    const answers: FunctionAnswer[] = [{ rawText: '' }, { result: { batchItemFailures: [] } }];
    const enabled = await consume(second.url, (_e, call) => answers[call - 1] ?? ok, {
      reportBatchItemFailures: true,
      batchSize: 1,
      maximumConcurrency: 1,
    });
    await waitFor('both delivered', () => enabled.records().length === 2);
    await sleep(1_500);
    expect(enabled.records()).toHaveLength(2);
    expect(await messagesIn(second.url)).toBe(0);
  });

  it('lets SQS move a message the function keeps failing to the dead-letter queue after maxReceiveCount', async () => {
    const queue = await queueWithDeadLetters(2);
    await sendAll(queue.url, ['poison']);
    const { deliveriesOf } = await consume(queue.url, () => failWith('Poison'));
    const dead = await waitFor('the dead letter', async () => {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queue.dlqUrl, WaitTimeSeconds: 1 }),
      );
      return Messages?.[0];
    });

    expect(dead.Body).toBe('poison');
    expect(deliveriesOf('poison').map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
    expect(await messagesIn(queue.url)).toBe(0);
  });

  it('delivers a message again when the function outlives the visibility timeout (at least once)', async () => {
    const queue = await queueWithDeadLetters();
    await sendAll(queue.url, ['slow']);
    const { deliveriesOf } = await consume(
      queue.url,
      async (_event, call) => {
        if (call === 1) await sleep(2_500);
        return ok;
      },
      { maximumConcurrency: 2 },
    );
    await waitFor('the second delivery', () => deliveriesOf('slow').length === 2);
    const [first, second] = deliveriesOf('slow');
    expect(second?.messageId).toBe(first?.messageId);
    expect(second?.receiptHandle).not.toBe(first?.receiptHandle);
    expect(second?.attributes.ApproximateReceiveCount).toBe('2');
    await waitFor('the delete', async () => (await messagesIn(queue.url)) === 0, 5_000);
  });
});

describe('the upload trigger (S3 → EventBridge → SQS → function)', () => {
  it('delivers "Object Created" for originals, from PutObject and multipart, and nothing else', async () => {
    const names = resourceNames(unique('trg'));
    const s3 = createS3Client({ region, forcePathStyle: true });
    const events = new EventBridgeClient({ region });
    try {
      await s3.send(new CreateBucketCommand({ Bucket: names.assetsBucket }));
      const queues = await createUploadEvents({ s3, sqs, events }, names);
      const { records } = await consume(queues.uploadEventsQueueUrl, () => ok, {
        reportBatchItemFailures: true,
      });

      const Bucket = names.assetsBucket;
      await s3.send(new PutObjectCommand({ Bucket, Key: 'originals/single', Body: 'one' }));
      await s3.send(new PutObjectCommand({ Bucket, Key: 'thumbnails/ignored.webp', Body: 'two' }));
      const { UploadId } = await s3.send(
        new CreateMultipartUploadCommand({ Bucket, Key: 'originals/multi' }),
      );
      const { ETag } = await s3.send(
        new UploadPartCommand({ Bucket, Key: 'originals/multi', UploadId, PartNumber: 1, Body: 'three' }),
      );
      await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket,
          Key: 'originals/multi',
          UploadId,
          MultipartUpload: { Parts: [{ ETag, PartNumber: 1 }] },
        }),
      );
      await waitFor('the events', () => records().length >= 3);
      await sleep(1_000);

      const bodies = records().map((r) => JSON.parse(r.body));
      // moto 5.2.5 sends two events for one CompleteMultipartUpload (S3 sends one): a duplicate
      // delivery like those SQS may make anyway, which the execution name absorbs.
      expect(bodies.map((b) => b.detail.object.key).sort()).toEqual([
        'originals/multi',
        'originals/multi',
        'originals/single',
      ]);
      for (const body of bodies) {
        expect(body).toMatchObject({
          source: 'aws.s3',
          'detail-type': 'Object Created',
          region,
          detail: { bucket: { name: Bucket } },
        });
        expect(body.resources).toEqual([`arn:aws:s3:::${Bucket}`]);
      }
      expect(bodies.find((b) => b.detail.object.key === 'originals/single').detail.object.size).toBe(3);
    } finally {
      s3.destroy();
      events.destroy();
    }
  });
});

import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { LambdaInvoker, localCredentials } from '../stepfunctions/lambda-invoker.ts';
import { failedRecords, type SqsEvent, toSqsRecord } from './records.ts';

export interface SqsEventSourceOptions {
  /** moto's endpoint (SQS). */
  sqsEndpoint: string;
  queueUrl: string;
  /** Where the function is invoked (the Lambda Invoke API). */
  lambdaEndpoint: string;
  /** Function name or ARN, as CreateEventSourceMapping takes it. */
  functionName: string;
  region: string;
  /** Records per invocation, 1-10 (AWS's default 10; larger batches need a batching window). */
  batchSize?: number;
  /** Pollers, each with at most one batch in flight (AWS's ScalingConfig.MaximumConcurrency). */
  maximumConcurrency?: number;
  /** FunctionResponseTypes: ["ReportBatchItemFailures"]. */
  reportBatchItemFailures?: boolean;
  /** Long-poll wait per ReceiveMessage (AWS's pollers use 20 s). */
  waitTimeSeconds?: number;
  /** One line per failed batch or poll. */
  log?: (line: string) => void;
}

export interface SqsEventSource {
  queueArn: string;
  stop(): Promise<void>;
}

/**
 * Lambda's SQS event source mapping, for the local cloud: pollers long-poll the queue,
 * invoke the function synchronously with the batch as AWS builds it, and delete what
 * succeeded. Nothing else is done to a failed record: SQS makes it visible again after
 * the queue's visibility timeout and moves it to the dead-letter queue after
 * `maxReceiveCount` receives (moto implements both), exactly as in AWS.
 */
export async function startSqsEventSource(options: SqsEventSourceOptions): Promise<SqsEventSource> {
  const batchSize = options.batchSize ?? 10;
  const concurrency = options.maximumConcurrency ?? 2;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10)
    throw new RangeError(`batchSize must be 1-10, got ${batchSize}`);
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new RangeError(`maximumConcurrency must be a positive integer, got ${concurrency}`);
  const log = options.log ?? (() => {});
  const sqs = new SQSClient({
    endpoint: options.sqsEndpoint,
    region: options.region,
    credentials: localCredentials,
  });
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: options.queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const queueArn = Attributes?.QueueArn;
  if (!queueArn) throw new Error(`No ARN for queue ${options.queueUrl}`);
  const invoker = new LambdaInvoker(options.lambdaEndpoint, options.region);
  const stopping = new AbortController();
  const { signal } = stopping;

  const deliver = async (messages: Message[]) => {
    const records = messages.map((message) => toSqsRecord(message, queueArn, options.region));
    const event: SqsEvent = { Records: records };
    let failed = records;
    try {
      const outcome = await invoker.invoke(
        { functionName: options.functionName, payload: JSON.stringify(event) },
        signal,
      );
      failed = failedRecords(records, outcome, options.reportBatchItemFailures ?? false);
      if (outcome.functionError) log(`function error on ${records.length} record(s): ${outcome.payloadText}`);
    } catch (error) {
      if (signal.aborted) return;
      log(`invoke failed for ${records.length} record(s): ${(error as Error).message}`);
    }
    const done = records.filter((record) => !failed.includes(record));
    if (done.length) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: done.map((record, i) => ({ Id: String(i), ReceiptHandle: record.receiptHandle })),
        }),
      );
    }
    return failed.length === 0;
  };

  const poll = async () => {
    let backoffMs = 0;
    while (!signal.aborted) {
      try {
        const { Messages } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: options.queueUrl,
            MaxNumberOfMessages: batchSize,
            WaitTimeSeconds: options.waitTimeSeconds ?? 20,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: signal },
        );
        if (!Messages?.length) continue;
        const succeeded = await deliver(Messages);
        // Like Lambda, poll more slowly while the function keeps failing.
        backoffMs = succeeded ? 0 : Math.min(Math.max(backoffMs * 2, 100), 5_000);
      } catch (error) {
        if (signal.aborted) return;
        log(`poll failed: ${(error as Error).message}`);
        backoffMs = Math.min(Math.max(backoffMs * 2, 100), 5_000);
      }
      if (backoffMs) await sleep(backoffMs, undefined, { signal }).catch(() => {});
    }
  };

  const pollers = Array.from({ length: concurrency }, () => poll());
  let stopped: Promise<void> | undefined;
  return {
    queueArn,
    stop: () => {
      stopped ??= (async () => {
        // A batch in flight is abandoned, not deleted: SQS delivers it again (at least once).
        stopping.abort();
        await Promise.allSettled(pollers);
        invoker.destroy();
        sqs.destroy();
      })();
      return stopped;
    },
  };
}

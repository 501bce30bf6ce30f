import { setTimeout as sleep } from 'node:timers/promises';
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { postToS3, signSingle, waitForFinalStatus } from '../src/uploads.ts';
import { inPool } from './machine.ts';

export interface PipelineContext {
  publicUrl: string;
  token: string;
  sfn: SFNClient;
  stateMachineArn: string;
}

/** Executions are named after the asset (the upload service's StartExecution). */
const executionArn = (stateMachineArn: string, assetId: string) =>
  `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${assetId}`;

/**
 * The execution of an upload once it has stopped, polled in this process (the Step Functions
 * server runs here): its own start and stop times, not a poll's, are what gets measured.
 */
export async function stoppedExecution(
  context: PipelineContext,
  assetId: string,
  pollMs: number,
  timeoutMs = 120_000,
) {
  const deadline = Date.now() + timeoutMs;
  const command = new DescribeExecutionCommand({
    executionArn: executionArn(context.stateMachineArn, assetId),
  });
  while (Date.now() < deadline) {
    try {
      const execution = await context.sfn.send(command);
      if (execution.status !== 'RUNNING' && execution.startDate && execution.stopDate)
        return {
          status: execution.status,
          start: execution.startDate.getTime(),
          stop: execution.stopDate.getTime(),
        };
    } catch (error) {
      if ((error as { name?: string }).name !== 'ExecutionDoesNotExist') throw error;
    }
    await sleep(pollMs);
  }
  throw new Error(`the execution of ${assetId} did not stop within ${timeoutMs} ms`);
}

/**
 * One image from a client's first request to its execution's end: sign (through the load
 * balancer), POST to S3, then S3 → EventBridge → SQS → the upload function → StartExecution →
 * inspect, thumbnails, finalize (READY recorded through the data API). Times in ms since start.
 */
export async function timedUpload(context: PipelineContext, name: string, bytes: Uint8Array, pollMs: number) {
  const started = Date.now();
  const post = await signSingle(context.publicUrl, context.token, {
    name,
    type: 'image/jpeg',
    size: bytes.length,
  });
  const signed = Date.now();
  const stored = await postToS3(post, bytes);
  if (stored.status >= 300) throw new Error(`S3 POST: ${stored.status} ${await stored.text()}`);
  await stored.body?.cancel();
  const uploaded = Date.now();
  const execution = await stoppedExecution(context, post.assetId, pollMs);
  if (execution.status !== 'SUCCEEDED') throw new Error(`execution of ${post.assetId}: ${execution.status}`);
  return {
    assetId: post.assetId,
    sign: signed - started,
    post: uploaded - signed,
    trigger: execution.start - uploaded,
    execution: execution.stop - execution.start,
    total: execution.stop - started,
    startedAt: started,
    stoppedAt: execution.stop,
  };
}
export type TimedUpload = Awaited<ReturnType<typeof timedUpload>>;

/** Each asset as the data API shows it now: every one must be READY with its thumbnails. */
export async function checkReady(context: PipelineContext, runs: TimedUpload[]) {
  await inPool(runs.length, 4, async (i) => {
    const { assetId } = runs[i] as TimedUpload;
    const asset = await waitForFinalStatus(context.publicUrl, context.token, assetId, 10_000);
    if (asset.status !== 'READY' || !asset.thumbnails?.length)
      throw new Error(`asset ${assetId}: ${asset.status}, ${asset.thumbnails?.length ?? 0} thumbnails`);
  });
}

/** `count` uploads of `bytes`, at most `inFlight` at once (an upload is in flight until its execution stops). */
export async function batch(context: PipelineContext, bytes: Uint8Array, count: number, inFlight: number) {
  const runs = await inPool(count, inFlight, (i) => timedUpload(context, `batch-${i}.jpg`, bytes, 100));
  const first = Math.min(...runs.map((r) => r.startedAt));
  const stops = runs.map((r) => r.stoppedAt).sort((a, b) => a - b);
  const last = stops.at(-1) as number;
  // The middle of the batch, after the ramp-up and before the tail drains: the steady rate.
  const from = stops[Math.floor(count * 0.2)] as number;
  const to = stops[Math.floor(count * 0.8)] as number;
  return {
    runs,
    perSecond: count / ((last - first) / 1000),
    steadyPerSecond: (Math.floor(count * 0.8) - Math.floor(count * 0.2)) / ((to - from) / 1000),
    wallSeconds: (last - first) / 1000,
  };
}

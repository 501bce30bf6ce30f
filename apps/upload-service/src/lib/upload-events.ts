import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DataApiError, type DataApiInternalClient } from '@stateless/contracts';
import type { PipelineInput } from '@stateless/workflows';

/** The part of an SQS event (source mapping with ReportBatchItemFailures) this handler reads. */
export interface UploadEventBatch {
  Records: { messageId: string; body: string }[];
}

interface Log {
  warn(object: object, message: string): void;
}

const keyPattern = /^originals\/([A-Za-z0-9][A-Za-z0-9_-]{0,63})$/;

/** The asset behind an EventBridge "Object Created" event, or undefined for anything else. */
function uploadedObjectOf(body: string): PipelineInput | undefined {
  let event: {
    'detail-type'?: unknown;
    detail?: { bucket?: { name?: unknown }; object?: { key?: unknown } };
  };
  try {
    event = JSON.parse(body);
  } catch {
    return undefined;
  }
  const bucket = event.detail?.bucket?.name;
  const key = event.detail?.object?.key;
  if (event['detail-type'] !== 'Object Created' || typeof bucket !== 'string' || typeof key !== 'string') {
    return undefined;
  }
  const assetId = keyPattern.exec(key)?.[1];
  return assetId ? { assetId, bucket, key } : undefined;
}

/**
 * S3 "Object Created" events (EventBridge → SQS → this function): the asset moves
 * PENDING → UPLOADED and its pipeline starts, once. Both steps are idempotent, so a
 * duplicated or redelivered event does nothing new: the status move repeats as a no-op (or
 * is refused once the pipeline has moved the asset on) and the execution is named after the
 * asset (ExecutionAlreadyExists = already started).
 * Records that failed are returned for SQS to redeliver (then the dead-letter queue).
 */
export function createUploadEventHandler(deps: {
  dataApi: DataApiInternalClient;
  sfn: SFNClient;
  stateMachineArn: string;
  log: Log;
}) {
  async function handle(input: PipelineInput) {
    try {
      await deps.dataApi.moveStatus(input.assetId, { status: 'UPLOADED' });
    } catch (error) {
      // Unknown asset (not uploaded through this service): nothing to process, never retried.
      if (error instanceof DataApiError && error.status === 404) {
        deps.log.warn({ assetId: input.assetId }, 'object created for an unknown asset; ignored');
        return;
      }
      // 409: past UPLOADED (only the pipeline moves an asset on, so it began: this is a
      // redelivery) or deleted. Starting it again would be a no-op in AWS (ExecutionAlreadyExists)
      // and, for an asset that never had an execution (imported, seeded), a run of the whole
      // pipeline on an asset that is already done.
      if (error instanceof DataApiError && error.status === 409) return;
      throw error;
    }
    try {
      await deps.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: deps.stateMachineArn,
          name: input.assetId,
          input: JSON.stringify(input),
        }),
      );
    } catch (error) {
      if (!(error instanceof ExecutionAlreadyExists)) throw error;
    }
  }

  return async (event: UploadEventBatch) => {
    const batchItemFailures: { itemIdentifier: string }[] = [];
    await Promise.all(
      (event.Records ?? []).map(async (record) => {
        const input = uploadedObjectOf(record.body);
        if (!input) {
          deps.log.warn(
            { messageId: record.messageId },
            'not an Object Created event for an original; ignored',
          );
          return;
        }
        try {
          await handle(input);
        } catch (error) {
          deps.log.warn(
            { err: error, messageId: record.messageId, assetId: input.assetId },
            'upload event failed',
          );
          batchItemFailures.push({ itemIdentifier: record.messageId });
        }
      }),
    );
    return { batchItemFailures };
  };
}

import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DataApiError, type DataApiInternalClient, type InternalAsset } from '@stateless/contracts';
import type { PipelineInput } from '@stateless/workflows';

/** The part of an SQS event (source mapping with ReportBatchItemFailures) this handler reads. */
export interface UploadEventBatch {
  Records: { messageId: string; body: string }[];
}

interface Log {
  warn(object: object, message: string): void;
}

const keyPattern = /^originals\/([A-Za-z0-9][A-Za-z0-9_-]{0,63})$/;

/** The original an Object Created event is about, and the version S3 wrote (versioned bucket). */
interface UploadedObject extends PipelineInput {
  versionId: string | undefined;
}

/** The asset behind an EventBridge "Object Created" event, or undefined for anything else. */
function uploadedObjectOf(body: string): UploadedObject | undefined {
  let event: {
    'detail-type'?: unknown;
    detail?: { bucket?: { name?: unknown }; object?: { key?: unknown; 'version-id'?: unknown } };
  };
  try {
    event = JSON.parse(body);
  } catch {
    return undefined;
  }
  const bucket = event.detail?.bucket?.name;
  const key = event.detail?.object?.key;
  const versionId = event.detail?.object?.['version-id'];
  if (event['detail-type'] !== 'Object Created' || typeof bucket !== 'string' || typeof key !== 'string') {
    return undefined;
  }
  const assetId = keyPattern.exec(key)?.[1];
  if (!assetId) return undefined;
  return {
    assetId,
    bucket,
    key,
    versionId: typeof versionId === 'string' && versionId ? versionId : undefined,
  };
}

/**
 * S3 "Object Created" events (EventBridge → SQS → this function): the asset moves
 * PENDING → UPLOADED, recording the version S3 wrote, and its pipeline starts, once. That
 * version is the asset's: the pipeline reads it and the download serves it.
 *
 * A presigned POST stays valid for its whole TTL, so the same form can write the key again
 * (a client retrying a POST whose answer was lost, or anyone holding the form, after the asset
 * was processed or deleted). Each write is a new version (the bucket is versioned), and its
 * event finds the asset already UPLOADED with another version, past UPLOADED, or deleted: that
 * version is deleted, so the key holds only what was processed, and a deleted asset's key
 * stays empty (the sweep removed what it held; it never sees a later write).
 *
 * Idempotent, so a duplicated or redelivered event does nothing new, whatever the order events
 * arrive in (EventBridge and SQS guarantee neither order nor exactly-once): the move from
 * PENDING is conditional, so exactly one version is recorded; an event for the recorded version
 * repeats the move as a no-op (or is refused once the pipeline has moved the asset on) and names
 * the execution after the asset (ExecutionAlreadyExists = already started); deleting a version
 * that is already gone succeeds. An event without a version id (an unversioned bucket), or for
 * an asset that recorded none, cannot tell a later write from a redelivery and is left alone.
 * Records that failed are returned for SQS to redeliver (then the dead-letter queue).
 */
export function createUploadEventHandler(deps: {
  dataApi: DataApiInternalClient;
  s3: S3Client;
  sfn: SFNClient;
  stateMachineArn: string;
  log: Log;
}) {
  /** Deletes a version of the original that is not the asset's. */
  async function remove({ assetId, bucket, key, versionId }: UploadedObject, why: string) {
    await deps.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
    deps.log.warn({ assetId, versionId }, `object created ${why}; that version was deleted`);
  }

  /** The answer to an event refused with a 409: the asset is past UPLOADED, or deleted. */
  async function afterRefusal(object: UploadedObject, error: DataApiError) {
    if (!object.versionId) return;
    if (error.code === 'AssetDeleted') return remove(object, 'for a deleted asset');
    // Past UPLOADED (only the pipeline moves an asset on, so it began): a redelivery of the
    // recorded version's event, or another version. Starting the pipeline again would be a no-op
    // in AWS (ExecutionAlreadyExists) and, for an asset that never had an execution (imported,
    // seeded), a run of the whole pipeline on an asset that is already done.
    const asset = await deps.dataApi.getAsset(object.assetId);
    if (asset.status === 'DELETED') return remove(object, 'for a deleted asset');
    if (asset.originalVersionId && asset.originalVersionId !== object.versionId) {
      return remove(object, `for an asset already ${asset.status}`);
    }
  }

  async function handle(object: UploadedObject) {
    const { versionId, ...input } = object;
    let asset: InternalAsset;
    try {
      asset = await deps.dataApi.moveStatus(input.assetId, {
        status: 'UPLOADED',
        ...(versionId ? { versionId } : {}),
      });
    } catch (error) {
      // Unknown asset (not uploaded through this service): nothing to process, never retried.
      if (error instanceof DataApiError && error.status === 404) {
        deps.log.warn({ assetId: input.assetId }, 'object created for an unknown asset; ignored');
        return;
      }
      if (error instanceof DataApiError && error.status === 409) return afterRefusal(object, error);
      throw error;
    }
    // UPLOADED already, by another version's event (two writes before either event arrived).
    if (versionId && asset.originalVersionId && asset.originalVersionId !== versionId) {
      return remove(object, 'for an asset already UPLOADED as another version');
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

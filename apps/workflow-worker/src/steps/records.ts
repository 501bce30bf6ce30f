import { DataApiError, type DataApiInternalClient } from '@stateless/contracts';
import type { StepInput, StepOutput } from '@stateless/workflows';
import { StepError } from '../invoke.ts';
import { failureReason } from './failure-reason.ts';
import type { Declared, RefusedFile } from './media.ts';

const finished = new Set(['READY', 'FAILED', 'DELETED']);

/** The asset record, or a permanent error when there is none. */
async function assetOf(dataApi: DataApiInternalClient, assetId: string) {
  try {
    return await dataApi.getAsset(assetId);
  } catch (error) {
    if (error instanceof DataApiError && error.status === 404) {
      throw new StepError('AssetNotProcessable', `There is no asset ${assetId}`, { cause: error });
    }
    throw error;
  }
}

/**
 * Records what inspect and thumbnail learned, then READY. A re-run after READY changes
 * nothing; a deleted or failed asset is not revived.
 */
export async function finalize(
  dataApi: DataApiInternalClient,
  { assetId, inspection, thumbnails }: StepInput<'finalize'>,
): Promise<StepOutput<'finalize'>> {
  const asset = await assetOf(dataApi, assetId);
  if (asset.status === 'READY') return { assetId, status: 'READY', changed: false };
  if (finished.has(asset.status)) {
    throw new StepError('AssetNotProcessable', `The asset is ${asset.status}; it takes no results`);
  }
  const { contentType, declaredContentType, size, sha256, width, height } = inspection;
  await dataApi.recordResults(assetId, {
    contentType,
    declaredContentType,
    size,
    sha256,
    width,
    height,
    thumbnails,
  });
  // Repeating READY is a no-op for the data API, so a retried move succeeds.
  await dataApi.moveStatus(assetId, { status: 'READY' });
  return { assetId, status: 'READY', changed: true };
}

/**
 * FAILED with a reason a user can read, from wherever the asset got stuck: FAILED is
 * reached only from PROCESSING, so an earlier asset is walked there by legal moves first.
 * A finished asset is left as it is.
 */
export async function markFailed(
  dataApi: DataApiInternalClient,
  { assetId, error }: StepInput<'markFailed'>,
): Promise<StepOutput<'markFailed'>> {
  const reason = failureReason(error);
  const asset = await dataApi.getAsset(assetId).catch((cause: unknown) => {
    if (cause instanceof DataApiError && cause.status === 404) return undefined;
    throw cause;
  });
  if (!asset || finished.has(asset.status)) {
    return { assetId, status: asset?.status === 'READY' ? 'READY' : 'FAILED', changed: false, reason };
  }
  if (asset.status === 'PENDING') await dataApi.moveStatus(assetId, { status: 'UPLOADED' });
  if (asset.status !== 'PROCESSING') await dataApi.moveStatus(assetId, { status: 'PROCESSING' });
  await dataApi.moveStatus(assetId, { status: 'FAILED', reason });
  return { assetId, status: 'FAILED', changed: true, reason };
}

/**
 * Moves the asset to PROCESSING (from PENDING too: the object is in S3, so it is uploaded)
 * and returns what was declared at signing and the uploaded version. A re-run finds it
 * PROCESSING already, and the declared type in `declaredContentType` once a refusal recorded
 * what was found in `contentType`.
 */
export async function startProcessing(dataApi: DataApiInternalClient, assetId: string): Promise<Declared> {
  const asset = await assetOf(dataApi, assetId);
  if (finished.has(asset.status)) {
    throw new StepError('AssetNotProcessable', `The asset is ${asset.status}; it is not processed again`);
  }
  if (asset.status === 'PENDING') await dataApi.moveStatus(assetId, { status: 'UPLOADED' });
  if (asset.status !== 'PROCESSING') await dataApi.moveStatus(assetId, { status: 'PROCESSING' });
  const contentType = asset.declaredContentType ?? asset.contentType;
  return {
    ...(contentType !== undefined ? { contentType } : {}),
    ...(asset.size !== undefined ? { size: asset.size } : {}),
    ...(asset.originalVersionId !== undefined ? { versionId: asset.originalVersionId } : {}),
  };
}

/** What a refused file was found to be, on the record beside what was declared, before it fails. */
export async function recordFound(
  dataApi: DataApiInternalClient,
  assetId: string,
  found: RefusedFile['found'],
) {
  await dataApi.recordResults(assetId, found);
}

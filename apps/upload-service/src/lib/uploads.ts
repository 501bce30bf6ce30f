import { randomUUID } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListPartsCommand,
  type Part,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  DataApiError,
  type DataApiInternalClient,
  firstCodePoints,
  type InternalAsset,
  maxFilenameLength,
  PublicError,
  uploadRules,
} from '@stateless/contracts';
import type { AppMetrics } from '@stateless/observability';

export interface UploadSettings {
  bucket: string;
  urlTtlSeconds: number;
  /** Bytes (MAX_UPLOAD_BYTES). */
  maxFileSize: number;
}

const allowed = new Set<string>(uploadRules.allowedFileTypes);
/**
 * The types an empty file can be: an empty text file is still a text file. Every other allowed
 * type starts with a signature (PNG, JPEG, WebP, GIF, AVIF, TIFF, PDF), so 0 bytes is never one.
 */
const mayBeEmpty = new Set<string>(['text/plain']);
const keyOf = (assetId: string) => `originals/${assetId}`;
const assetIdOf = (key: string) => key.slice('originals/'.length);
const errorName = (error: unknown) => (error as { name?: string } | null)?.name;
/** S3's answers to a complete whose part list is wrong: the client's mistake, not ours. */
const partRefusals = new Set(['EntityTooSmall', 'InvalidPart', 'InvalidPartOrder']);
/** The data API's refusals the caller may see as they are: its rate limit and the open-upload cap. */
const passedOn = new Set([409, 429]);
const notFound = () => new PublicError(404, 'NotFound', 'No such upload');
const tooLarge = (size: number, limit: number) =>
  new PublicError(413, 'PayloadTooLarge', `${size} bytes is over the limit of ${limit} bytes`);
/** A 400 naming the field (`querystring/size`, `body/parts/3/PartNumber`: the schema errors' paths). */
export const refuse = (path: string, message: string) =>
  new PublicError(400, 'ValidationError', message, { details: [{ path, message }] });

/** A size the client declared, and the field it came in (named in a refusal). */
export interface DeclaredSize {
  value: number;
  field: string;
}

/**
 * Refuses a type outside the allowlist (415), an empty file of a type that cannot be empty (400)
 * and a declared size over the limit (413) before anything is signed.
 */
function checkFile(type: string, size: DeclaredSize | undefined, limit: number) {
  if (!allowed.has(type)) {
    throw new PublicError(415, 'UnsupportedMediaType', `Content type ${type} is not accepted`, {
      details: [{ path: '/type', message: `one of ${uploadRules.allowedFileTypes.join(', ')}` }],
    });
  }
  if (size?.value === 0 && !mayBeEmpty.has(type)) {
    throw refuse(size.field, `A ${type} file cannot be empty: ${size.field} is 0`);
  }
  if (size !== undefined && size.value > limit) throw tooLarge(size.value, limit);
}

/**
 * The part list of a complete, as S3 will join it: part numbers strictly ascending, so none is
 * named twice. S3 refuses an unordered list (InvalidPartOrder) but moto joins a repeated part
 * twice, so the list is checked here, before any call to S3, and the size counted from it.
 */
function checkPartList(parts: readonly { PartNumber: number }[]) {
  parts.forEach((part, i) => {
    const previous = parts[i - 1]?.PartNumber ?? 0;
    if (part.PartNumber === previous) {
      throw refuse(`body/parts/${i}/PartNumber`, `Part ${part.PartNumber} is named twice`);
    }
    if (part.PartNumber < previous) {
      throw refuse(
        `body/parts/${i}/PartNumber`,
        `Parts must be in ascending order: part ${part.PartNumber} comes after part ${previous}`,
      );
    }
  });
}

/** The data API's 404 is the caller's 404, its 409 and 429 are passed on; anything else is ours. */
async function askDataApi<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof DataApiError)) throw error;
    if (error.status === 404) throw notFound();
    if (passedOn.has(error.status)) {
      throw new PublicError(error.status, error.code, error.body.error.message, {
        cause: error,
        ...(error.retryAfter ? { headers: { 'retry-after': error.retryAfter } } : {}),
      });
    }
    throw error;
  }
}

/** The upload flows of the Companion S3 protocol; the data API holds the asset records. */
export function createUploads(
  s3: S3Client,
  dataApi: DataApiInternalClient,
  settings: UploadSettings,
  metrics: AppMetrics<'upload-service'>,
) {
  const Bucket = settings.bucket;
  const expiresIn = settings.urlTtlSeconds;
  const locationOf = (key: string) => `s3://${Bucket}/${key}`;

  /**
   * The PENDING record of a new asset, before any URL is signed. The data API counts the call
   * against the user's rate limit and refuses it over the user's open uploads (409).
   */
  async function register(
    ownerId: string,
    assetId: string,
    filename: string,
    contentType: string,
    size: DeclaredSize | undefined,
    uploadId?: string,
  ) {
    await askDataApi(() =>
      dataApi.createAsset(
        {
          id: assetId,
          ownerId,
          originalKey: keyOf(assetId),
          filename: firstCodePoints(filename, maxFilenameLength),
          contentType,
          ...(size !== undefined ? { size: size.value } : {}),
          ...(uploadId !== undefined ? { uploadId } : {}),
        },
        ownerId,
      ),
    );
  }

  const isDeleted = (asset: InternalAsset) => asset.status === 'DELETED' || asset.deletedAt !== undefined;

  /**
   * The asset behind a key, if the caller owns it and it is not deleted or expired; otherwise
   * 404, as the data API answers its owner for a deleted asset (and others' ids are not revealed).
   * `deletedToo` lets its former owner reach a deleted one: only to abort its upload.
   */
  async function owned(ownerId: string, key: string, { deletedToo = false } = {}) {
    const asset = await askDataApi(() => dataApi.getAsset(assetIdOf(key), ownerId));
    const gone =
      (isDeleted(asset) && !deletedToo) ||
      (!isDeleted(asset) && asset.expiresAt !== undefined && asset.expiresAt * 1000 <= Date.now());
    if (gone || asset.ownerId !== ownerId || asset.originalKey !== key) throw notFound();
    return asset;
  }

  /**
   * The caller's asset, if `uploadId` is the multipart upload it was created with: the record
   * binds the two, so another key's upload id is refused whatever the store checks (moto ties
   * none to its key). Same 404 as a missing asset.
   */
  async function ownedUpload(
    ownerId: string,
    key: string,
    uploadId: string,
    options = { deletedToo: false },
  ) {
    const asset = await owned(ownerId, key, options);
    if (asset.uploadId !== uploadId) throw notFound();
    return asset;
  }

  /** Signing for an asset past PENDING would let its checked bytes be replaced: 409. */
  async function pendingUpload(ownerId: string, key: string, uploadId: string) {
    const asset = await ownedUpload(ownerId, key, uploadId);
    if (asset.status !== 'PENDING') {
      throw new PublicError(409, 'InvalidState', `The asset is ${asset.status}; its upload is over`);
    }
    return asset;
  }

  /**
   * S3 refuses the upload outright when the body is not what was declared: another type, or
   * another size than the declared one (any size up to the limit when none was declared).
   */
  async function single(
    ownerId: string,
    filename: string,
    contentType: string,
    size: DeclaredSize | undefined,
  ) {
    checkFile(contentType, size, settings.maxFileSize);
    const assetId = randomUUID();
    await register(ownerId, assetId, filename, contentType, size);
    const Key = keyOf(assetId);
    const { url, fields } = await createPresignedPost(s3, {
      Bucket,
      Key,
      Conditions: [
        ['content-length-range', size?.value ?? 1, size?.value ?? settings.maxFileSize],
        ['eq', '$Content-Type', contentType],
      ],
      Fields: { 'Content-Type': contentType },
      Expires: expiresIn,
    });
    metrics.record('UploadsSigned');
    return { method: 'POST' as const, url, fields, expires: expiresIn, key: Key, assetId };
  }

  /**
   * S3 names the upload id, so the upload is created first and the record written with it; a
   * record the data API refuses (rate limit, open uploads) leaves no upload behind.
   */
  async function createMultipart(
    ownerId: string,
    filename: string,
    contentType: string,
    size?: DeclaredSize,
  ) {
    checkFile(contentType, size, settings.maxFileSize);
    const assetId = randomUUID();
    const Key = keyOf(assetId);
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket, Key, ContentType: contentType }),
    );
    if (!UploadId) throw new Error('S3 returned no UploadId');
    try {
      await register(ownerId, assetId, filename, contentType, size, UploadId);
    } catch (error) {
      await s3.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId })).catch(() => undefined);
      throw error;
    }
    metrics.record('UploadsSigned');
    return { key: Key, uploadId: UploadId, assetId };
  }

  const signPartUrl = (Key: string, UploadId: string, PartNumber: number) =>
    getSignedUrl(s3, new UploadPartCommand({ Bucket, Key, UploadId, PartNumber }), { expiresIn });

  async function listAllParts(Key: string, UploadId: string) {
    const parts: Part[] = [];
    let marker: string | undefined;
    do {
      const page = await s3.send(new ListPartsCommand({ Bucket, Key, UploadId, PartNumberMarker: marker }));
      parts.push(...(page.Parts ?? []));
      marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
    } while (marker);
    return parts;
  }

  /** NoSuchUpload from S3: the upload was completed or aborted. The same 404. */
  const orNotFound = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (errorName(error) === 'NoSuchUpload') throw notFound();
      throw error;
    }
  };

  /** Completed already (a repeat, or a concurrent complete that won): the object tells. */
  async function completedBefore(key: string, assetId: string) {
    try {
      await s3.send(new HeadObjectCommand({ Bucket, Key: key }));
    } catch {
      throw notFound();
    }
    return { location: locationOf(key), key, assetId };
  }

  return {
    single,
    createMultipart,
    async listParts(ownerId: string, key: string, uploadId: string) {
      await ownedUpload(ownerId, key, uploadId);
      const parts = await orNotFound(() => listAllParts(key, uploadId));
      return parts.map((part) => ({
        PartNumber: part.PartNumber ?? 0,
        Size: part.Size ?? 0,
        ETag: part.ETag ?? '',
      }));
    },
    async signParts(ownerId: string, key: string, uploadId: string, partNumbers: number[]) {
      const { id: assetId } = await pendingUpload(ownerId, key, uploadId);
      const urls = await Promise.all(partNumbers.map((n) => signPartUrl(key, uploadId, n)));
      return {
        presignedUrls: Object.fromEntries(partNumbers.map((n, i) => [String(n), urls[i] as string])),
        assetId,
      };
    },
    async signPart(ownerId: string, key: string, uploadId: string, partNumber: number) {
      const { id: assetId } = await pendingUpload(ownerId, key, uploadId);
      return { url: await signPartUrl(key, uploadId, partNumber), expires: expiresIn, assetId };
    },
    /**
     * Refuses a part list S3 would not join as given (400), then checks the total of exactly
     * those parts against the limit (over it: aborted, 413) and the declared size (400, the
     * upload left for the client to fix or abort) before S3 joins them; S3's own refusals (a
     * part too small, a wrong ETag) are 400s. Only a PENDING asset is completed: a repeat after
     * success, or the loser of two at once, answers the same location without joining anything.
     */
    async complete(
      ownerId: string,
      key: string,
      uploadId: string,
      parts: { PartNumber: number; ETag: string }[],
    ) {
      checkPartList(parts);
      const asset = await ownedUpload(ownerId, key, uploadId);
      if (asset.status !== 'PENDING') return completedBefore(key, asset.id);
      let uploaded: Part[];
      try {
        uploaded = await listAllParts(key, uploadId);
      } catch (error) {
        if (errorName(error) !== 'NoSuchUpload') throw error;
        return completedBefore(key, asset.id);
      }
      const sizes = new Map(uploaded.map((part) => [part.PartNumber, part.Size ?? 0]));
      let total = 0;
      parts.forEach(({ PartNumber }, i) => {
        const size = sizes.get(PartNumber);
        if (size === undefined)
          throw refuse(`body/parts/${i}/PartNumber`, `Part ${PartNumber} was not uploaded`);
        total += size;
      });
      if (total > settings.maxFileSize) {
        await s3.send(new AbortMultipartUploadCommand({ Bucket, Key: key, UploadId: uploadId }));
        throw tooLarge(total, settings.maxFileSize);
      }
      if (asset.size !== undefined && total !== asset.size) {
        throw new PublicError(
          400,
          'ValidationError',
          `The parts hold ${total} bytes; the upload declared ${asset.size}`,
        );
      }
      try {
        await s3.send(
          new CompleteMultipartUploadCommand({
            Bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts },
          }),
        );
      } catch (error) {
        const name = errorName(error);
        if (name === 'NoSuchUpload') return completedBefore(key, asset.id);
        if (name && partRefusals.has(name)) {
          throw new PublicError(400, 'ValidationError', `S3 refused the parts: ${name}`, { cause: error });
        }
        throw error;
      }
      // Counted once per upload: repeats and the loser of a race answered above.
      metrics.record('UploadsCompleted');
      return { location: locationOf(key), key, assetId: asset.id };
    },
    /**
     * The asset of an aborted upload expires at once: gone from the list, not an open upload.
     * (The request counted against the user's rate limit once already, with the asset's read.)
     */
    async abort(ownerId: string, key: string, uploadId: string) {
      // A deleted asset's upload is still aborted: it frees the parts S3 holds, and the console
      // deletes the asset's PENDING row as it cancels (issue 21 refuses sign and complete there).
      const asset = await ownedUpload(ownerId, key, uploadId, { deletedToo: true });
      await orNotFound(() =>
        s3.send(new AbortMultipartUploadCommand({ Bucket, Key: key, UploadId: uploadId })),
      );
      if (!isDeleted(asset)) await dataApi.expireUpload(asset.id);
      return { assetId: asset.id };
    },
  };
}

export type Uploads = ReturnType<typeof createUploads>;

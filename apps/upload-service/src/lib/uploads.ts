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
import { DataApiError, type DataApiInternalClient, PublicError, uploadRules } from '@stateless/contracts';
import type { AppMetrics } from '@stateless/observability';

export interface UploadSettings {
  bucket: string;
  urlTtlSeconds: number;
  /** Bytes (MAX_UPLOAD_BYTES). */
  maxFileSize: number;
}

const allowed = new Set<string>(uploadRules.allowedFileTypes);
const keyOf = (assetId: string) => `originals/${assetId}`;
const assetIdOf = (key: string) => key.slice('originals/'.length);
const errorName = (error: unknown) => (error as { name?: string } | null)?.name;
/** S3's answers to a complete whose part list is wrong: the client's mistake, not ours. */
const partRefusals = new Set(['EntityTooSmall', 'InvalidPart', 'InvalidPartOrder']);
const notFound = () => new PublicError(404, 'NotFound', 'No such upload');
const tooLarge = (size: number, limit: number) =>
  new PublicError(413, 'PayloadTooLarge', `${size} bytes is over the limit of ${limit} bytes`);

/** Refuses a type outside the allowlist (415) and a declared size over the limit (413) before anything is signed. */
function checkFile(type: string, size: number | undefined, limit: number) {
  if (!allowed.has(type)) {
    throw new PublicError(415, 'UnsupportedMediaType', `Content type ${type} is not accepted`, {
      details: [{ path: '/type', message: `one of ${uploadRules.allowedFileTypes.join(', ')}` }],
    });
  }
  if (size !== undefined && size > limit) throw tooLarge(size, limit);
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

  /** A new asset id and its PENDING record, before any URL is signed. */
  async function register(ownerId: string, filename: string, contentType: string, size: number | undefined) {
    checkFile(contentType, size, settings.maxFileSize);
    const assetId = randomUUID();
    await dataApi.createAsset({
      id: assetId,
      ownerId,
      originalKey: keyOf(assetId),
      filename: filename.slice(0, 255),
      contentType,
      ...(size !== undefined ? { size } : {}),
    });
    return assetId;
  }

  /** The asset behind a key, if the caller owns it; otherwise 404 (others' ids are not revealed). */
  async function owned(ownerId: string, key: string) {
    try {
      const asset = await dataApi.getAsset(assetIdOf(key));
      if (asset.ownerId !== ownerId || asset.originalKey !== key) throw notFound();
      return asset;
    } catch (error) {
      if (error instanceof DataApiError && error.status === 404) throw notFound();
      throw error;
    }
  }

  /**
   * S3 refuses the upload outright when the body is not what was declared: another type, or
   * another size than the declared one (any size up to the limit when none was declared).
   */
  async function single(ownerId: string, filename: string, contentType: string, size: number | undefined) {
    const assetId = await register(ownerId, filename, contentType, size);
    const Key = keyOf(assetId);
    const { url, fields } = await createPresignedPost(s3, {
      Bucket,
      Key,
      Conditions: [
        ['content-length-range', size ?? 1, size ?? settings.maxFileSize],
        ['eq', '$Content-Type', contentType],
      ],
      Fields: { 'Content-Type': contentType },
      Expires: expiresIn,
    });
    metrics.record('UploadsSigned');
    return { method: 'POST' as const, url, fields, expires: expiresIn, key: Key, assetId };
  }

  async function createMultipart(ownerId: string, filename: string, contentType: string, size?: number) {
    const assetId = await register(ownerId, filename, contentType, size);
    const Key = keyOf(assetId);
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket, Key, ContentType: contentType }),
    );
    if (!UploadId) throw new Error('S3 returned no UploadId');
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

  /** NoSuchUpload from S3 means the upload id is not one of this key's: the same 404. */
  const orNotFound = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (errorName(error) === 'NoSuchUpload') throw notFound();
      throw error;
    }
  };

  /**
   * The caller's asset, and the upload id one of its key's: a URL signed for another
   * upload id would only fail later at S3, so it is refused here with the same 404.
   */
  async function ownedUpload(ownerId: string, key: string, uploadId: string) {
    const asset = await owned(ownerId, key);
    await orNotFound(() =>
      s3.send(new ListPartsCommand({ Bucket, Key: key, UploadId: uploadId, MaxParts: 1 })),
    );
    return asset.id;
  }

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
      await owned(ownerId, key);
      const parts = await orNotFound(() => listAllParts(key, uploadId));
      return parts.map((part) => ({
        PartNumber: part.PartNumber ?? 0,
        Size: part.Size ?? 0,
        ETag: part.ETag ?? '',
      }));
    },
    async signParts(ownerId: string, key: string, uploadId: string, partNumbers: number[]) {
      const assetId = await ownedUpload(ownerId, key, uploadId);
      const urls = await Promise.all(partNumbers.map((n) => signPartUrl(key, uploadId, n)));
      return {
        presignedUrls: Object.fromEntries(partNumbers.map((n, i) => [String(n), urls[i] as string])),
        assetId,
      };
    },
    async signPart(ownerId: string, key: string, uploadId: string, partNumber: number) {
      const assetId = await ownedUpload(ownerId, key, uploadId);
      return { url: await signPartUrl(key, uploadId, partNumber), expires: expiresIn, assetId };
    },
    /**
     * Checks the total of the named parts against the limit (over it: aborted, 413) and the
     * declared size (400, the upload left for the client to fix or abort) before S3 joins the
     * parts; S3's own refusals (a part too small, a wrong ETag) are 400s. A repeat after
     * success, or the loser of two at once, answers the same location.
     */
    async complete(
      ownerId: string,
      key: string,
      uploadId: string,
      parts: { PartNumber: number; ETag: string }[],
    ) {
      const asset = await owned(ownerId, key);
      let uploaded: Part[];
      try {
        uploaded = await listAllParts(key, uploadId);
      } catch (error) {
        if (errorName(error) !== 'NoSuchUpload') throw error;
        return completedBefore(key, asset.id);
      }
      // The object will be the parts named here (S3 drops the others), so those are what count.
      const named = new Set(parts.map((part) => part.PartNumber));
      const total = uploaded
        .filter((part) => named.has(part.PartNumber ?? 0))
        .reduce((sum, part) => sum + (part.Size ?? 0), 0);
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
      const sorted = [...parts].sort((a, b) => a.PartNumber - b.PartNumber);
      try {
        await s3.send(
          new CompleteMultipartUploadCommand({
            Bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: { Parts: sorted },
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
    async abort(ownerId: string, key: string, uploadId: string) {
      const { id: assetId } = await owned(ownerId, key);
      await orNotFound(() =>
        s3.send(new AbortMultipartUploadCommand({ Bucket, Key: key, UploadId: uploadId })),
      );
      return { assetId };
    },
  };
}

export type Uploads = ReturnType<typeof createUploads>;

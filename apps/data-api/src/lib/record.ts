import type { Asset, AssetStatus, InternalAsset, InternalThumbnail } from '@stateless/contracts';

/**
 * An item of the assets table. A deleted asset is a tombstone: status DELETED,
 * no `ownerId`/`createdKey` (so the sparse `byOwner` index drops it) and
 * `formerOwnerId` kept so a repeated DELETE by its owner stays a 204.
 */
export interface AssetRecord {
  id: string;
  ownerId?: string;
  formerOwnerId?: string;
  /** `<createdAt ISO>#<id>`: the byOwner sort key, unique and time-ordered. */
  createdKey?: string;
  status: AssetStatus;
  version: number;
  createdAt: string;
  updatedAt: string;
  title?: string;
  description?: string;
  tags?: string[];
  filename?: string;
  contentType?: string;
  declaredContentType?: string;
  size?: number;
  sha256?: string;
  width?: number;
  height?: number;
  originalKey: string;
  /** The S3 version of `originalKey` that was uploaded (set by the move to UPLOADED); downloads serve it. */
  originalVersionId?: string;
  /** The S3 multipart upload id the asset was created with (none for a single POST upload). */
  uploadId?: string;
  thumbnails?: InternalThumbnail[];
  failureReason?: string;
  /** Epoch seconds: DynamoDB TTL removes abandoned PENDING records (reads treat them as gone at once). */
  expiresAt?: number;
  deletedAt?: string;
  /**
   * `"1"` from the tombstone write until the asset's S3 objects are removed: puts the
   * tombstone in the sparse `byCleanup` index (with `deletedAt`), which the sweep reads.
   */
  cleanupPending?: '1';
  /** A new id per write (never shown): how a retried write recognises that it was applied (assets-store.ts). */
  writeId?: string;
}

export const createdKeyOf = (createdAt: string, id: string) => `${createdAt}#${id}`;

export const isExpired = (record: Pick<AssetRecord, 'expiresAt'>, nowMs = Date.now()) =>
  record.expiresAt !== undefined && record.expiresAt * 1000 <= nowMs;

/** Visible to its owner: not deleted and not an expired abandoned upload. */
export const isLive = (record: AssetRecord, nowMs = Date.now()) =>
  record.status !== 'DELETED' && record.ownerId !== undefined && !isExpired(record, nowMs);

const optional = <K extends string, V>(key: K, value: V | undefined) =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;

/** The owner's view: explicit fields only, so nothing internal can leak. */
export const toPublic = (r: AssetRecord): Asset => ({
  id: r.id,
  status: r.status,
  version: r.version,
  ...optional('title', r.title),
  ...optional('description', r.description),
  tags: r.tags ?? [],
  ...optional('filename', r.filename),
  ...optional('contentType', r.contentType),
  ...optional('declaredContentType', r.declaredContentType),
  ...optional('size', r.size),
  ...optional('sha256', r.sha256),
  ...optional('width', r.width),
  ...optional('height', r.height),
  thumbnails: (r.thumbnails ?? []).map(({ name, width, height, contentType, size }) => ({
    name,
    width,
    height,
    contentType,
    size,
  })),
  ...optional('failureReason', r.failureReason),
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});

export const toInternal = (r: AssetRecord): InternalAsset => ({
  ...toPublic(r),
  ownerId: r.ownerId ?? r.formerOwnerId ?? '',
  originalKey: r.originalKey,
  ...optional('originalVersionId', r.originalVersionId),
  thumbnails: r.thumbnails ?? [],
  ...optional('expiresAt', r.expiresAt),
  ...optional('deletedAt', r.deletedAt),
  ...optional('uploadId', r.uploadId),
});

/** Every S3 object an asset owns (removed when it is deleted). */
export const objectKeysOf = (r: AssetRecord) => [r.originalKey, ...(r.thumbnails ?? []).map((t) => t.key)];

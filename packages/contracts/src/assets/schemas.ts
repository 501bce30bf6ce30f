import Type, { type Static } from 'typebox';
import Value from 'typebox/value';
import { MultilineText, Text } from '../text.ts';

/**
 * Asset schemas shared by the data API (validation, serialization, OpenAPI)
 * and its clients. Every object schema rejects unknown fields.
 */

export const assetStatuses = ['PENDING', 'UPLOADED', 'PROCESSING', 'READY', 'FAILED', 'DELETED'] as const;
export const AssetStatus = Type.Union(
  [
    Type.Literal('PENDING'),
    Type.Literal('UPLOADED'),
    Type.Literal('PROCESSING'),
    Type.Literal('READY'),
    Type.Literal('FAILED'),
    Type.Literal('DELETED'),
  ],
  { description: 'PENDING → UPLOADED → PROCESSING → READY | FAILED; any → DELETED' },
);
export type AssetStatus = (typeof assetStatuses)[number];

export const AssetId = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$',
  description: 'Letters, digits, "-" and "_", at most 64 characters (a UUID or ULID)',
});
export const AssetParams = Type.Object({ id: AssetId }, { additionalProperties: false });
export type AssetParams = Static<typeof AssetParams>;

export const ThumbnailName = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,31}$' });
export const ThumbnailParams = Type.Object(
  { id: AssetId, name: ThumbnailName },
  { additionalProperties: false },
);
export type ThumbnailParams = Static<typeof ThumbnailParams>;

// What characters these hold: ../text.ts.
const Title = Text({ minLength: 1, maxLength: 200 });
const Description = MultilineText({ maxLength: 2000 });
const Tag = Text({ minLength: 1, maxLength: 40 });
const Tags = Type.Array(Tag, { maxItems: 20, uniqueItems: true });
const Timestamp = Type.String({ format: 'date-time' });
const Sha256 = Type.String({ pattern: '^[a-f0-9]{64}$' });
// Anchored: parameters after the type are printable ASCII, no control character (../text.ts).
const ContentType = Type.String({ minLength: 3, maxLength: 200, pattern: '^[\\w.+-]+/[\\w.+-]+[ -~]*$' });
const ObjectKey = Text({ minLength: 1, maxLength: 1024 });
/** An asset's filename, at most this many characters (code points); the upload service cuts longer ones. */
export const maxFilenameLength = 255;
/** An S3 object version id (opaque; S3's are up to 1024 bytes). */
const VersionId = Text({ minLength: 1, maxLength: 1024 });
const Dimension = Type.Integer({ minimum: 1, maximum: 1_000_000 });
const Size = Type.Integer({ minimum: 0 });

export const Thumbnail = Type.Object(
  { name: ThumbnailName, width: Dimension, height: Dimension, contentType: ContentType, size: Size },
  { additionalProperties: false },
);
export type Thumbnail = Static<typeof Thumbnail>;

const assetProperties = {
  id: AssetId,
  status: AssetStatus,
  version: Type.Integer({
    minimum: 1,
    description: 'Increases on every change; the ETag is derived from it',
  }),
  title: Type.Optional(Title),
  description: Type.Optional(Description),
  tags: Tags,
  filename: Type.Optional(Text({ maxLength: maxFilenameLength })),
  contentType: Type.Optional(ContentType),
  /** What the uploader declared, once the pipeline has read the bytes (`contentType` is then what they are). */
  declaredContentType: Type.Optional(ContentType),
  size: Type.Optional(Size),
  sha256: Type.Optional(Sha256),
  width: Type.Optional(Dimension),
  height: Type.Optional(Dimension),
  thumbnails: Type.Array(Thumbnail),
  failureReason: Type.Optional(MultilineText({ maxLength: 1000 })),
  createdAt: Timestamp,
  updatedAt: Timestamp,
};

/** An asset as its owner sees it. */
export const Asset = Type.Object(assetProperties, { additionalProperties: false });
export type Asset = Static<typeof Asset>;

export const AssetPage = Type.Object(
  {
    items: Type.Array(Asset),
    nextCursor: Type.Optional(
      Type.String({ description: 'Pass as `cursor` for the next page; absent on the last' }),
    ),
  },
  { additionalProperties: false },
);
export type AssetPage = Static<typeof AssetPage>;

/** Page size of `GET /assets` when the query names no `limit`. */
export const defaultPageSize = 20;

export const ListAssetsQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: defaultPageSize })),
    cursor: Type.Optional(Text({ minLength: 1, maxLength: 512 })),
  },
  { additionalProperties: false },
);
export type ListAssetsQuery = Static<typeof ListAssetsQuery>;

/**
 * An entity tag as RFC 9110 §8.8.3 writes it: the weak prefix, then the opaque tag in quotes, which
 * may hold commas (so a list of them is not split on commas). The header schemas and the data API's
 * parser (apps/data-api/src/lib/etag.ts) are both built from it.
 */
export const entityTagPattern = String.raw`(W/)?"([\x21\x23-\x7e\x80-\xff]*)"`;
/** How many entity tags an If-Match or If-None-Match list may hold. */
export const maxEntityTags = 20;

/** The precondition of an edit: without it the API answers 428, with a stale ETag 412. */
export const IfMatchHeaders = Type.Object({
  'if-match': Type.String({
    description: `The ETag you last read (e.g. "v3"), or * for any current version; at most ${maxEntityTags} tags`,
    pattern: String.raw`^\s*(\*|${entityTagPattern}(\s*,\s*${entityTagPattern}){0,${maxEntityTags - 1}})\s*$`,
  }),
});
export type IfMatchHeaders = Static<typeof IfMatchHeaders>;

/** User metadata. `null` clears a field. Requires `If-Match`. */
export const UpdateAssetBody = Type.Object(
  {
    title: Type.Optional(Type.Union([Title, Type.Null()])),
    description: Type.Optional(Type.Union([Description, Type.Null()])),
    tags: Type.Optional(Tags),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateAssetBody = Static<typeof UpdateAssetBody>;

export const DownloadLink = Type.Object(
  {
    url: Type.String({ description: 'Presigned S3 GET URL' }),
    expiresAt: Timestamp,
  },
  { additionalProperties: false },
);
export type DownloadLink = Static<typeof DownloadLink>;

// ---------------------------------------------------------------------------
// Internal (service-to-service)
// ---------------------------------------------------------------------------

export const InternalThumbnail = Type.Object(
  { ...Thumbnail.properties, key: ObjectKey },
  { additionalProperties: false },
);
export type InternalThumbnail = Static<typeof InternalThumbnail>;

/**
 * The S3 multipart upload id an asset was created with: the upload service compares it on every
 * multipart route, so an upload id is bound to its asset whatever the store checks.
 */
const MultipartUploadId = Text({ minLength: 1, maxLength: 1024 });

/** The whole record, as the other services see it (a deleted asset keeps its former owner). */
export const InternalAsset = Type.Object(
  {
    ...assetProperties,
    ownerId: Type.String(),
    originalKey: ObjectKey,
    /**
     * The S3 version of `originalKey` the pipeline reads and the download serves: the one whose
     * Object Created event moved the asset to UPLOADED. A later write to the key is another
     * version, never this one (the bucket is versioned).
     */
    originalVersionId: Type.Optional(VersionId),
    thumbnails: Type.Array(InternalThumbnail),
    expiresAt: Type.Optional(
      Type.Integer({ description: 'Epoch seconds; abandoned PENDING records expire' }),
    ),
    deletedAt: Type.Optional(Timestamp),
    uploadId: Type.Optional(MultipartUploadId),
  },
  { additionalProperties: false },
);
export type InternalAsset = Static<typeof InternalAsset>;

export const CreateAssetBody = Type.Object(
  {
    id: AssetId,
    ownerId: Text({ minLength: 1, maxLength: 200 }),
    originalKey: ObjectKey,
    filename: Type.Optional(Text({ minLength: 1, maxLength: maxFilenameLength })),
    contentType: Type.Optional(ContentType),
    size: Type.Optional(Size),
    title: Type.Optional(Title),
    description: Type.Optional(Description),
    tags: Type.Optional(Tags),
    uploadId: Type.Optional(MultipartUploadId),
  },
  { additionalProperties: false },
);
export type CreateAssetBody = Static<typeof CreateAssetBody>;

/** What the pipeline learned; fields are merged into the record. */
export const RecordResultsBody = Type.Object(
  {
    /** Sniffed from the bytes: it replaces the declared type, which moves to `declaredContentType`. */
    contentType: Type.Optional(ContentType),
    declaredContentType: Type.Optional(ContentType),
    size: Type.Optional(Size),
    sha256: Type.Optional(Sha256),
    width: Type.Optional(Dimension),
    height: Type.Optional(Dimension),
    thumbnails: Type.Optional(Type.Array(InternalThumbnail, { maxItems: 10 })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type RecordResultsBody = Static<typeof RecordResultsBody>;

export const movableStatuses = ['UPLOADED', 'PROCESSING', 'READY', 'FAILED'] as const;
export const MoveStatusBody = Type.Object(
  {
    status: Type.Union([
      Type.Literal('UPLOADED'),
      Type.Literal('PROCESSING'),
      Type.Literal('READY'),
      Type.Literal('FAILED'),
    ]),
    // Multiline: an image library's message may span lines.
    reason: Type.Optional(MultilineText({ minLength: 1, maxLength: 1000 })),
    /** With UPLOADED: the S3 version that was uploaded, kept as `originalVersionId` by the move from PENDING. */
    versionId: Type.Optional(VersionId),
  },
  { additionalProperties: false },
);
export type MoveStatusBody = Static<typeof MoveStatusBody>;

export const Metrics = Type.Record(Type.String(), Type.Number());
export type Metrics = Static<typeof Metrics>;

/** `POST /internal/maintenance/sweep-deleted`: how many flagged tombstones to clean in this call. */
export const SweepDeletedBody = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) },
  { additionalProperties: false },
);
export type SweepDeletedBody = Static<typeof SweepDeletedBody>;

/**
 * `swept`: tombstones whose objects this call removed; `failed`: whose cleanup failed (left
 * flagged); `remaining`: flagged tombstones are left (more than `limit`, or `failed` > 0).
 */
export const SweepDeletedResult = Type.Object(
  {
    swept: Type.Integer({ minimum: 0 }),
    failed: Type.Integer({ minimum: 0 }),
    remaining: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type SweepDeletedResult = Static<typeof SweepDeletedResult>;

/**
 * The event that makes the data-api Lambda run the sweep instead of serving an ALB request
 * (sent by the schedule in infra). `limit` is the batch size; the handler runs batches until
 * nothing is left, a batch fails or the invocation's time runs short.
 */
export const SweepDeletedEvent = Type.Object(
  { task: Type.Literal('sweep-deleted'), limit: SweepDeletedBody.properties.limit },
  { additionalProperties: false },
);
export type SweepDeletedEvent = Static<typeof SweepDeletedEvent>;

export const isSweepDeletedEvent = (event: unknown): event is SweepDeletedEvent =>
  Value.Check(SweepDeletedEvent, event);

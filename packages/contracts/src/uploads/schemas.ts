import Type, { type Static } from 'typebox';
import { AssetId } from '../assets/schemas.ts';
import { Text } from '../text.ts';

/**
 * What the upload service accepts, in one place: the service signs policies with it and the
 * web console's Uppy refuses a file before any byte is sent with the same numbers.
 */
export const uploadRules = {
  allowedFileTypes: [
    'image/png',
    'image/jpeg',
    'image/webp',
    'image/gif',
    'image/avif',
    'image/tiff',
    'application/pdf',
    'text/plain',
  ],
  maxFileSize: 1024 * 1024 * 1024,
  maxNumberOfFiles: 20,
};

/** S3 allows at most 10,000 parts per multipart upload. */
export const maxPartNumber = 10_000;
/**
 * Part URLs one batch sign may ask for. The console's Uppy never asks for a batch: @uppy/aws-s3
 * 6.3.1 signs one part per request (`uploadPart` in src/s3-client/CompanionS3.ts calls
 * `/multipart/:uploadId/:partNumber`) and "each file uploads its parts sequentially" (the `limit`
 * option's comment in src/index.ts), so one URL per upload is in use at a time. The batch route is
 * Companion's, which the older @uppy/aws-s3-multipart called with its first `limit` parts (default
 * 5); more than that only stockpiles live URLs, and signing them is the service's CPU.
 */
export const maxBatchParts = 5;

/** Longer than an asset's (`maxFilenameLength`): the service cuts it, by code point. */
const Filename = Text({ minLength: 1, maxLength: 1024 });
const ContentType = Text({ minLength: 1, maxLength: 255 });
/** The object key the service built: `originals/<assetId>`, never from the filename. */
const Key = Type.String({ pattern: '^originals/[A-Za-z0-9][A-Za-z0-9_-]{0,63}$', maxLength: 80 });
const UploadId = Text({ minLength: 1, maxLength: 1024 });
const PartNumber = Type.Integer({ minimum: 1, maximum: maxPartNumber });
/** A part number in a list: 1..10000 as text (`maxPartNumber`). */
const partNumber = '(10000|[1-9][0-9]{0,3})';
/** Up to 2^53 - 1: past it integers are not exact, so a size there is not the one declared. */
const Size = Type.Integer({
  minimum: 0,
  maximum: Number.MAX_SAFE_INTEGER,
  description: 'Declared size in bytes (Uppy sends it as metadata)',
});

export const SingleUploadQuery = Type.Object(
  {
    filename: Filename,
    type: ContentType,
    // 15 digits: below 2^53, where integers stop being exact.
    size: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })),
  },
  { additionalProperties: true },
);

/** Companion's answer to GET /s3/params: a presigned POST (the policy carries the limits). */
export const PresignedPost = Type.Object({
  method: Type.Literal('POST'),
  url: Type.String(),
  fields: Type.Record(Type.String(), Type.String()),
  expires: Type.Integer({ description: 'Seconds the signature stays valid' }),
  key: Key,
  assetId: AssetId,
});
export type PresignedPost = Static<typeof PresignedPost>;

export const CreateMultipartBody = Type.Object(
  {
    filename: Filename,
    type: ContentType,
    metadata: Type.Optional(Type.Object({ size: Type.Optional(Size) }, { additionalProperties: true })),
    size: Type.Optional(Size),
  },
  { additionalProperties: true },
);
export const MultipartCreated = Type.Object({ key: Key, uploadId: UploadId, assetId: AssetId });
export type MultipartCreated = Static<typeof MultipartCreated>;

export const UploadParams = Type.Object({ uploadId: UploadId }, { additionalProperties: false });
export const PartParams = Type.Object(
  { uploadId: UploadId, partNumber: PartNumber },
  { additionalProperties: false },
);
export const KeyQuery = Type.Object({ key: Key }, { additionalProperties: false });
export const BatchQuery = Type.Object(
  // S3's part numbers, 1..10000, comma-separated, at most `maxBatchParts` of them.
  {
    key: Key,
    partNumbers: Type.String({ pattern: `^${partNumber}(,${partNumber}){0,${maxBatchParts - 1}}$` }),
  },
  { additionalProperties: false },
);

/** Uppy's listParts expects a bare array of S3 parts, so this answer alone cannot carry assetId. */
export const UploadedParts = Type.Array(
  Type.Object({ PartNumber, Size: Type.Integer({ minimum: 0 }), ETag: Type.String() }),
);
export type UploadedParts = Static<typeof UploadedParts>;
export const PartUrls = Type.Object({
  presignedUrls: Type.Record(Type.String(), Type.String()),
  assetId: AssetId,
});
export type PartUrls = Static<typeof PartUrls>;
export const PartUrl = Type.Object({ url: Type.String(), expires: Type.Integer(), assetId: AssetId });
export type PartUrl = Static<typeof PartUrl>;
export const CompleteBody = Type.Object(
  {
    // A part's ETag is its quoted MD5 (34 characters); 64 leaves room and keeps a complete of
    // 10,000 parts under the 1 MiB an ALB passes to a Lambda function.
    parts: Type.Array(Type.Object({ PartNumber, ETag: Text({ minLength: 1, maxLength: 64 }) }), {
      minItems: 1,
      maxItems: maxPartNumber,
    }),
  },
  { additionalProperties: false },
);
export const Completed = Type.Object({ location: Type.String(), key: Key, assetId: AssetId });
export type Completed = Static<typeof Completed>;
export const Aborted = Type.Object({ assetId: AssetId });

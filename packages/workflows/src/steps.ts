import { AssetId, InternalThumbnail, ThumbnailName } from '@stateless/contracts';
import Type, { type Static } from 'typebox';

/**
 * Each step's input and output, once: the worker validates what it is given with
 * these, and the definition's tests check that the state machine builds exactly
 * these payloads. Payloads carry keys and small metadata only (Step Functions caps
 * a state's data at 256 KB).
 */

const ObjectKey = Type.String({ minLength: 1, maxLength: 1024 });
/** The S3 version of the original that inspect read: every later step reads that same version. */
const VersionId = Type.String({ minLength: 1, maxLength: 1024 });
const Bucket = Type.String({ minLength: 3, maxLength: 63 });
const ContentType = Type.String({ minLength: 3, maxLength: 200 });
const Dimension = Type.Integer({ minimum: 1, maximum: 1_000_000 });
const closed = { additionalProperties: false } as const;

/** What starts an execution: the uploaded object and the asset it belongs to. */
export const PipelineInput = Type.Object({ assetId: AssetId, bucket: Bucket, key: ObjectKey }, closed);
export type PipelineInput = Static<typeof PipelineInput>;

/** One thumbnail to make: its name and the longest side it may have, in pixels. */
export const ThumbnailSize = Type.Object(
  { name: ThumbnailName, maxDimension: Type.Integer({ minimum: 1, maximum: 4096 }) },
  closed,
);
export type ThumbnailSize = Static<typeof ThumbnailSize>;

export const InspectInput = Type.Object(
  { step: Type.Literal('inspect'), ...PipelineInput.properties },
  closed,
);
export type InspectInput = Static<typeof InspectInput>;

export const InspectOutput = Type.Object(
  {
    /** Sniffed from the bytes; for text, which has no magic bytes, the declared type. */
    contentType: ContentType,
    /** What the uploader said, when it said something. */
    declaredContentType: Type.Optional(ContentType),
    size: Type.Integer({ minimum: 0 }),
    sha256: Type.String({ pattern: '^[a-f0-9]{64}$' }),
    versionId: VersionId,
    isImage: Type.Boolean(),
    width: Type.Optional(Dimension),
    height: Type.Optional(Dimension),
    /** EXIF orientation, 1-8. */
    orientation: Type.Optional(Type.Integer({ minimum: 1, maximum: 8 })),
    pages: Type.Optional(Type.Integer({ minimum: 1 })),
    /** Empty unless `isImage`. */
    thumbnailSizes: Type.Array(ThumbnailSize, { maxItems: 10 }),
  },
  closed,
);
export type InspectOutput = Static<typeof InspectOutput>;

export const ThumbnailInput = Type.Object(
  { step: Type.Literal('thumbnail'), ...PipelineInput.properties, versionId: VersionId, size: ThumbnailSize },
  closed,
);
export type ThumbnailInput = Static<typeof ThumbnailInput>;

/** The data API's thumbnail record, as finalize hands it over. */
export const ThumbnailOutput = InternalThumbnail;
export type ThumbnailOutput = Static<typeof ThumbnailOutput>;

export const FinalizeInput = Type.Object(
  {
    step: Type.Literal('finalize'),
    assetId: AssetId,
    inspection: InspectOutput,
    thumbnails: Type.Array(ThumbnailOutput, { maxItems: 10 }),
  },
  closed,
);
export type FinalizeInput = Static<typeof FinalizeInput>;

export const StepOutcome = Type.Object(
  {
    assetId: AssetId,
    status: Type.Union([Type.Literal('READY'), Type.Literal('FAILED')]),
    /** False when a re-run found the asset already finished (or gone). */
    changed: Type.Boolean(),
  },
  closed,
);
export type StepOutcome = Static<typeof StepOutcome>;

/** What a Catch with `ResultPath: '$.error'` puts in the state: the error name and its cause. */
export const CaughtError = Type.Object({ Error: Type.String(), Cause: Type.Optional(Type.String()) });
export type CaughtError = Static<typeof CaughtError>;

export const MarkFailedInput = Type.Object(
  { step: Type.Literal('markFailed'), assetId: AssetId, error: CaughtError },
  closed,
);
export type MarkFailedInput = Static<typeof MarkFailedInput>;

export const MarkFailedOutput = Type.Object(
  { ...StepOutcome.properties, reason: Type.String({ minLength: 1, maxLength: 1000 }) },
  closed,
);
export type MarkFailedOutput = Static<typeof MarkFailedOutput>;

/** Every step the worker runs, with its input and output schema. */
export const stepSchemas = {
  inspect: { input: InspectInput, output: InspectOutput },
  thumbnail: { input: ThumbnailInput, output: ThumbnailOutput },
  finalize: { input: FinalizeInput, output: StepOutcome },
  markFailed: { input: MarkFailedInput, output: MarkFailedOutput },
} as const;
export type PipelineStep = keyof typeof stepSchemas;
export const pipelineSteps = Object.keys(stepSchemas) as PipelineStep[];

export type StepInput<S extends PipelineStep> = Static<(typeof stepSchemas)[S]['input']>;
export type StepOutput<S extends PipelineStep> = Static<(typeof stepSchemas)[S]['output']>;

/**
 * The transient errors AWS names for Lambda tasks: the only ones retried. Everything
 * the worker raises itself is permanent and goes straight to Catch.
 */
export const transientErrors = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
] as const;

/**
 * The errorTypes the worker raises for a dependency that is down for now. Retried with a
 * longer backoff than the Lambda errors: a deploy or a throttling spell lasts seconds.
 */
export const retryableErrors = [
  /** The data API answered 5xx or 429, or could not be reached in time. */
  'DataApiUnavailable',
  /** S3 answered 5xx or throttled after the SDK's own retries, or could not be reached. */
  'StorageUnavailable',
] as const;
export type RetryableError = (typeof retryableErrors)[number];

/** The errorTypes the worker raises on purpose (never retried). */
export const permanentErrors = [
  /** Not a file we can process: corrupt, truncated, too many pixels, too slow. */
  'UnsupportedMedia',
  /** Not a file we accept: its bytes are not an accepted type (mislabelled), or it is over the size limit. */
  'UnacceptedFile',
  /** The uploaded object is not in the bucket. */
  'ObjectMissing',
  /** The payload does not match the step's input schema. */
  'ValidationError',
  'UnknownStep',
  /** The asset is deleted or in a status the pipeline cannot move on from. */
  'AssetNotProcessable',
] as const;
export type PermanentError = (typeof permanentErrors)[number];

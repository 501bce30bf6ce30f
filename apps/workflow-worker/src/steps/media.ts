import { createHash } from 'node:crypto';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { uploadRules } from '@stateless/contracts';
import type { StepInput, StepOutput, ThumbnailSize } from '@stateless/workflows';
import { fileTypeStream } from 'file-type';
import type { Metadata, OutputInfo } from 'sharp';
import { StepError } from '../invoke.ts';

/**
 * sharp, loaded by the first step that reads an image rather than when the Lambda container
 * starts: loading it (libvips) is ~60 ms of CPU, which a container that only runs
 * `finalize` or `markFailed` never needs. Loaded once per container, as an import would be.
 */
let loadingSharp: Promise<typeof import('sharp')> | undefined;
async function loadSharp() {
  loadingSharp ??= import('sharp');
  return (await loadingSharp).default;
}

export interface MediaLimits {
  /** Bytes; the upload limit (MAX_UPLOAD_BYTES, the upload service's), for objects that got past it. */
  maxFileSize: number;
  maxInputPixels: number;
  timeoutSeconds: number;
  thumbnailSizes: ThumbnailSize[];
}

/** Every type the upload service accepts is one the pipeline processes: one list, in contracts. */
const accepted = new Set<string>(uploadRules.allowedFileTypes);

/** How a reason names a type; an unnamed one is shown as it is. */
const typeNames: Record<string, string> = {
  'image/png': 'a PNG image',
  'image/jpeg': 'a JPEG image',
  'image/webp': 'a WebP image',
  'image/gif': 'a GIF image',
  'image/avif': 'an AVIF image',
  'image/tiff': 'a TIFF image',
  'application/pdf': 'a PDF document',
  'text/plain': 'plain text',
};
const named = (type: string) => typeNames[type] ?? type;

const unaccepted = (message: string) => new StepError('UnacceptedFile', message);

/** What the uploader declared when the upload was signed, as the asset record keeps it. */
export interface Declared {
  contentType?: string;
  size?: number;
  /** The version of the original that was uploaded (the Object Created event's), when recorded. */
  versionId?: string;
}

/**
 * A file refused for its type, with what its bytes were found to be: the record keeps both
 * (`declaredContentType` and `contentType`) so a failed upload says what was declared and what
 * was found. Unrecognised bytes are `application/octet-stream`, the type of arbitrary data.
 */
export class RefusedFile extends StepError {
  constructor(
    message: string,
    readonly found: { contentType: string; declaredContentType?: string },
  ) {
    super('UnacceptedFile', message);
  }
}

/** `Image/PNG; charset=x` → `image/png`: parameters and case say nothing about the bytes. */
const essence = (type: string | undefined) => type?.split(';')[0]?.trim().toLowerCase() || undefined;

/**
 * The type the asset is processed as. The bytes win: a sniffed type that is accepted is the
 * type, whatever was declared. Text has no magic bytes, so only a declared text type may
 * go unsniffed; anything else unsniffed, or sniffed as a type not accepted, is refused.
 */
export function processedTypeOf(declaredType: string | undefined, sniffed: string | undefined): string {
  const declared = essence(declaredType);
  const found = {
    contentType: sniffed ?? 'application/octet-stream',
    ...(declaredType ? { declaredContentType: declaredType } : {}),
  };
  if (sniffed) {
    if (accepted.has(sniffed)) return sniffed;
    throw new RefusedFile(
      declared
        ? `The file's contents are not ${named(declared)} (they look like ${sniffed})`
        : `The file's contents look like ${sniffed}, which is not accepted`,
      found,
    );
  }
  if (declared?.startsWith('text/') && accepted.has(declared)) return declared;
  throw new RefusedFile(
    declared
      ? `The file's contents are not ${named(declared)} (their type could not be recognised)`
      : "The file's type could not be recognised from its contents",
    found,
  );
}

/** S3's answers for a key or version that is not there. */
const missing = new Set(['NoSuchKey', 'NoSuchVersion', 'NotFound']);

/** The object, or that version of it (a later write to the key is another version, never this one). */
async function openObject(s3: S3Client, bucket: string, key: string, versionId: string | undefined) {
  const name = `s3://${bucket}/${key}${versionId ? ` (version ${versionId})` : ''}`;
  try {
    const object = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }),
    );
    if (!object.Body) throw new StepError('ObjectMissing', `${name} has no body`);
    return object;
  } catch (error) {
    if (error instanceof NoSuchKey || missing.has((error as Error).name)) {
      throw new StepError('ObjectMissing', `${name} does not exist`, { cause: error });
    }
    throw error;
  }
}

const media = (message: string, cause?: unknown) =>
  new StepError('UnsupportedMedia', message, cause === undefined ? undefined : { cause });

/** Refuses what sharp would refuse, in words a user can read. */
function checkPixels(width: number, height: number, limits: MediaLimits) {
  if (width * height > limits.maxInputPixels) {
    throw media(
      `the image declares ${width} × ${height} pixels, more than the ${limits.maxInputPixels} allowed`,
    );
  }
}

/**
 * Reads the object once, as a stream: sha256 and size as the bytes pass, the type
 * sniffed from the first bytes (file-type), and for images the header sharp reads.
 * The sniffed type wins over the declared one; both are returned. The version read is the
 * uploaded one when the record names it (else the current one), and is returned, so every
 * later step reads the same bytes. An object of another size than the declared one is refused
 * whatever the store enforced (moto checks no POST policy; S3 checks the signed range).
 */
export async function inspect(
  s3: S3Client,
  limits: MediaLimits,
  { bucket, key }: StepInput<'inspect'>,
  declared: Declared,
): Promise<StepOutput<'inspect'>> {
  const declaredContentType = declared.contentType;
  const object = await openObject(s3, bucket, key, declared.versionId);
  const refuse = async (message: string) => {
    await object.Body?.transformToWebStream().cancel();
    return unaccepted(message);
  };
  if ((object.ContentLength ?? 0) > limits.maxFileSize) {
    throw await refuse(
      `The file is ${object.ContentLength} bytes, over the limit of ${limits.maxFileSize} bytes`,
    );
  }
  if (declared.size !== undefined && object.ContentLength !== declared.size) {
    throw await refuse(
      `The file is ${object.ContentLength} bytes, but ${declared.size} bytes were declared when it was uploaded`,
    );
  }
  // Without a version id, nothing pins the bytes the later steps read: the bucket must be versioned.
  const versionId = object.VersionId;
  if (!versionId) {
    await object.Body?.transformToWebStream().cancel();
    throw new Error(`s3://${bucket}/${key} has no version id: the bucket is not versioned`);
  }
  const stream = await fileTypeStream(object.Body?.transformToWebStream() as ReadableStream<Uint8Array>);
  let contentType: string;
  try {
    contentType = processedTypeOf(declaredContentType, stream.fileType?.mime);
  } catch (error) {
    // Refused from its first bytes: the rest is not read.
    await stream.cancel();
    throw error;
  }
  const hash = createHash('sha256');
  let size = 0;
  const image = contentType.startsWith('image/')
    ? (await loadSharp())({ failOn: 'warning', limitInputPixels: false })
    : undefined;
  // The header sharp reads is what the metadata needs; it is fed as the bytes pass.
  const metadata = image?.metadata();
  metadata?.catch(() => {});
  for await (const chunk of stream as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    size += chunk.byteLength;
    image?.write(chunk);
  }
  image?.end();
  const base = {
    contentType,
    ...(declaredContentType ? { declaredContentType } : {}),
    size,
    sha256: hash.digest('hex'),
    versionId,
  };
  if (!metadata) return { ...base, isImage: false, thumbnailSizes: [] };
  let info: Metadata;
  try {
    info = await metadata;
  } catch (error) {
    throw media(`the ${contentType} file is corrupt or truncated (${(error as Error).message})`, error);
  }
  const { width, height } = info;
  if (!width || !height) throw media(`the ${contentType} file declares no dimensions`);
  checkPixels(width, height, limits);
  return {
    ...base,
    isImage: true,
    width,
    height,
    ...(info.orientation ? { orientation: info.orientation } : {}),
    pages: info.pages ?? 1,
    thumbnailSizes: limits.thumbnailSizes,
  };
}

/** The key of a thumbnail: fixed per asset and size, so a re-run overwrites it. */
export const thumbnailKey = (assetId: string, name: string) => `thumbnails/${assetId}/${name}.webp`;

/** One WebP thumbnail, upright, from the first frame, inside `maxDimension` on both sides. */
export async function thumbnail(
  s3: S3Client,
  limits: MediaLimits,
  { assetId, bucket, key, versionId, size }: StepInput<'thumbnail'>,
): Promise<StepOutput<'thumbnail'>> {
  const object = await openObject(s3, bucket, key, versionId);
  const source = Buffer.from(await (object.Body?.transformToByteArray() ?? new Uint8Array()));
  // Outside the try: a sharp that cannot load is a crash, not an undecodable image.
  const sharp = await loadSharp();
  let output: { data: Buffer; info: OutputInfo };
  try {
    output = await sharp(source, { failOn: 'warning', limitInputPixels: limits.maxInputPixels, pages: 1 })
      .autoOrient()
      .resize({
        width: size.maxDimension,
        height: size.maxDimension,
        fit: 'inside',
        withoutEnlargement: true,
      })
      .webp()
      .timeout({ seconds: limits.timeoutSeconds })
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    const message = (error as Error).message;
    if (/pixel limit/i.test(message)) {
      throw media(`the image has more than the ${limits.maxInputPixels} pixels allowed`, error);
    }
    throw media(`the image could not be decoded (${message})`, error);
  }
  const thumbnailObjectKey = thumbnailKey(assetId, size.name);
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: thumbnailObjectKey,
      Body: output.data,
      ContentType: 'image/webp',
    }),
  );
  return {
    name: size.name,
    key: thumbnailObjectKey,
    width: output.info.width,
    height: output.info.height,
    contentType: 'image/webp',
    size: output.data.byteLength,
  };
}

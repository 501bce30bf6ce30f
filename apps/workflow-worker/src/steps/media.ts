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

/** `Image/PNG; charset=x` → `image/png`: parameters and case say nothing about the bytes. */
const essence = (type: string | undefined) => type?.split(';')[0]?.trim().toLowerCase() || undefined;

/**
 * The type the asset is processed as. The bytes win: a sniffed type that is accepted is the
 * type, whatever was declared. Text has no magic bytes, so only a declared text type may
 * go unsniffed; anything else unsniffed, or sniffed as a type not accepted, is refused.
 */
export function processedTypeOf(declaredType: string | undefined, sniffed: string | undefined): string {
  const declared = essence(declaredType);
  if (sniffed) {
    if (accepted.has(sniffed)) return sniffed;
    throw unaccepted(
      declared
        ? `The file's contents are not ${named(declared)} (they look like ${sniffed})`
        : `The file's contents look like ${sniffed}, which is not accepted`,
    );
  }
  if (declared?.startsWith('text/') && accepted.has(declared)) return declared;
  throw unaccepted(
    declared
      ? `The file's contents are not ${named(declared)} (their type could not be recognised)`
      : "The file's type could not be recognised from its contents",
  );
}

async function openObject(s3: S3Client, bucket: string, key: string) {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!object.Body) throw new StepError('ObjectMissing', `s3://${bucket}/${key} has no body`);
    return object;
  } catch (error) {
    if (error instanceof NoSuchKey) {
      throw new StepError('ObjectMissing', `s3://${bucket}/${key} does not exist`, { cause: error });
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
 * The sniffed type wins over the declared one; both are returned.
 */
export async function inspect(
  s3: S3Client,
  limits: MediaLimits,
  { bucket, key }: StepInput<'inspect'>,
  declaredContentType: string | undefined,
): Promise<StepOutput<'inspect'>> {
  const object = await openObject(s3, bucket, key);
  if ((object.ContentLength ?? 0) > limits.maxFileSize) {
    await object.Body?.transformToWebStream().cancel();
    throw unaccepted(
      `The file is ${object.ContentLength} bytes, over the limit of ${limits.maxFileSize} bytes`,
    );
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
  { assetId, bucket, key, size }: StepInput<'thumbnail'>,
): Promise<StepOutput<'thumbnail'>> {
  const object = await openObject(s3, bucket, key);
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

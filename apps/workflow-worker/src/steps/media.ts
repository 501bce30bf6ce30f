import { createHash } from 'node:crypto';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { StepInput, StepOutput, ThumbnailSize } from '@stateless/workflows';
import { fileTypeStream } from 'file-type';
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { StepError } from '../invoke.ts';

export interface MediaLimits {
  maxInputPixels: number;
  timeoutSeconds: number;
  thumbnailSizes: ThumbnailSize[];
}

/** Formats sharp's prebuilt binaries decode, so the pipeline can make thumbnails of them. */
const thumbnailable = new Set([
  'image/png',
  'image/jpeg',
  'image/webp',
  'image/gif',
  'image/avif',
  'image/tiff',
]);

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
  const stream = await fileTypeStream(object.Body?.transformToWebStream() as ReadableStream<Uint8Array>);
  const sniffed = stream.fileType?.mime;
  const hash = createHash('sha256');
  let size = 0;
  const image =
    sniffed && thumbnailable.has(sniffed) ? sharp({ failOn: 'warning', limitInputPixels: false }) : undefined;
  // The header sharp reads is what the metadata needs; it is fed as the bytes pass.
  const metadata = image?.metadata();
  metadata?.catch(() => {});
  for await (const chunk of stream as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    size += chunk.byteLength;
    image?.write(chunk);
  }
  image?.end();
  const contentType = sniffed ?? (declaredContentType || 'application/octet-stream');
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

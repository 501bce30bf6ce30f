import { createHash, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '@stateless/aws';
import { loadEnv, workflowWorkerEnv } from '@stateless/config';
import sharp from 'sharp';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { mediaLimitsOf } from '../src/data-api.ts';
import { whileStorageUp } from '../src/steps/dependencies.ts';
import { inspect, RefusedFile, thumbnail } from '../src/steps/media.ts';
import { pngDeclaring } from './images.ts';

const { env } = inject('cloud');
const config = loadEnv(workflowWorkerEnv, {
  ...env,
  LOG_LEVEL: 'silent',
  DATA_API_INTERNAL_URL: 'http://127.0.0.1:1',
  SERVICE_TOKEN_SECRET: 'media-test-secret-that-is-at-least-32-characters',
  THUMBNAIL_SIZES: 'small:160,medium:640',
});
const s3 = createS3Client({ region: config.AWS_REGION, forcePathStyle: config.S3_FORCE_PATH_STYLE });
const limits = mediaLimitsOf(config);
const bucket = config.ASSETS_BUCKET;
afterAll(() => s3.destroy());

/** Puts `body` as a new asset's original; the inspect input. */
async function upload(body: Uint8Array) {
  const assetId = `w3-${randomUUID()}`;
  const key = `originals/${assetId}`;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  return { step: 'inspect' as const, assetId, bucket, key };
}

/** The version id S3 gave `body`, put as another version of the asset's original. */
async function putVersion(assetId: string, body: Uint8Array) {
  const { VersionId } = await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: `originals/${assetId}`, Body: body }),
  );
  if (!VersionId) throw new Error('the test bucket is not versioned');
  return VersionId;
}

/** A thumbnail input for the version inspect read. */
async function thumbnailInput(body: Uint8Array, size = { name: 'small', maxDimension: 160 }) {
  const object = await upload(body);
  const { versionId } = await inspect(s3, limits, object, {});
  return { ...object, step: 'thumbnail' as const, versionId, size };
}

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: { errorType?: string; message: string }) => error,
  );

const gradient = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: 200, g: 60, b: 20 } } });

/** The start of a 64-bit ELF executable (x86-64), padded: what a renamed program looks like. */
const elfExecutable = Buffer.concat([
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0x3e, 0, 1, 0, 0, 0]),
  Buffer.alloc(4000, 0),
]);

describe('inspect, on objects in the local cloud S3', () => {
  it('reads a PNG: sha256, size, sniffed type, dimensions and the thumbnail sizes', async () => {
    const png = await gradient(800, 600).png().toBuffer();
    const result = await inspect(s3, limits, await upload(png), { contentType: 'image/png' });
    expect(result).toEqual({
      contentType: 'image/png',
      declaredContentType: 'image/png',
      size: png.byteLength,
      sha256: createHash('sha256').update(png).digest('hex'),
      versionId: expect.any(String),
      isImage: true,
      width: 800,
      height: 600,
      pages: 1,
      thumbnailSizes: [
        { name: 'small', maxDimension: 160 },
        { name: 'medium', maxDimension: 640 },
      ],
    });
  });

  it('reads a JPEG with its EXIF orientation', async () => {
    const jpeg = await gradient(300, 200).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const result = await inspect(s3, limits, await upload(jpeg), {});
    expect(result).toMatchObject({
      contentType: 'image/jpeg',
      isImage: true,
      width: 300,
      height: 200,
      orientation: 6,
    });
    expect(result.declaredContentType).toBeUndefined();
  });

  it('finds a text file is no image', async () => {
    const result = await inspect(s3, limits, await upload(Buffer.from('hello, world\n')), {
      contentType: 'text/plain',
    });
    expect(result).toMatchObject({ contentType: 'text/plain', isImage: false, size: 13, thumbnailSizes: [] });
  });

  it('trusts the bytes over the declared type: a PDF labelled image/png is a PDF, and records both', async () => {
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
    const result = await inspect(s3, limits, await upload(pdf), { contentType: 'image/png' });
    expect(result).toMatchObject({
      contentType: 'application/pdf',
      declaredContentType: 'image/png',
      isImage: false,
      thumbnailSizes: [],
    });
  });

  it('processes a PNG labelled text/plain as the image it is', async () => {
    const png = await gradient(320, 200).png().toBuffer();
    const result = await inspect(s3, limits, await upload(png), { contentType: 'text/plain' });
    expect(result).toMatchObject({
      contentType: 'image/png',
      declaredContentType: 'text/plain',
      isImage: true,
      width: 320,
      height: 200,
    });
  });

  it.each([
    [
      'a gzip labelled image/png',
      gzipSync('x'.repeat(500)),
      'image/png',
      "The file's contents are not a PNG image (they look like application/gzip)",
      'application/gzip',
    ],
    [
      'an executable labelled image/png',
      elfExecutable,
      'image/png',
      "The file's contents are not a PNG image (they look like application/x-elf)",
      'application/x-elf',
    ],
    [
      'a gzip labelled text/plain',
      gzipSync('x'.repeat(500)),
      'text/plain',
      "The file's contents are not plain text (they look like application/gzip)",
      'application/gzip',
    ],
    [
      'unrecognisable bytes labelled image/jpeg',
      Buffer.alloc(4096, 7),
      'image/jpeg',
      "The file's contents are not a JPEG image (their type could not be recognised)",
      'application/octet-stream',
    ],
    [
      'unrecognisable bytes with no declared type',
      Buffer.alloc(64, 7),
      undefined,
      "The file's type could not be recognised from its contents",
      'application/octet-stream',
    ],
  ])(
    'refuses %s with a reason a user can read, and what was found',
    async (_name, bytes, declared, reason, found) => {
      const error = await failureOf(inspect(s3, limits, await upload(bytes), { contentType: declared }));
      expect(error).toBeInstanceOf(RefusedFile);
      expect(error?.errorType).toBe('UnacceptedFile');
      expect(error?.message).toBe(reason);
      // What the record keeps beside the declared type (issue 22, defect 5).
      expect((error as RefusedFile).found).toEqual({
        contentType: found,
        ...(declared ? { declaredContentType: declared } : {}),
      });
    },
  );

  it.each([
    ['larger', 1500, 1000],
    ['smaller', 999, 1000],
    ['non-empty, declared empty', 1, 0],
  ])('refuses an object %s than its declared size, naming both', async (_name, actual, declaredSize) => {
    const error = await failureOf(
      inspect(s3, limits, await upload(Buffer.alloc(actual, 0x61)), {
        contentType: 'text/plain',
        size: declaredSize,
      }),
    );
    expect(error?.errorType).toBe('UnacceptedFile');
    expect(error?.message).toBe(
      `The file is ${actual} bytes, but ${declaredSize} bytes were declared when it was uploaded`,
    );
  });

  it('accepts an object of exactly its declared size', async () => {
    const result = await inspect(s3, limits, await upload(Buffer.from('twelve bytes')), {
      contentType: 'text/plain',
      size: 12,
    });
    expect(result.size).toBe(12);
  });

  it('reads the version it is given, not what the key holds now, and returns the version it read', async () => {
    const png = await gradient(64, 48).png().toBuffer();
    const assetId = `w3-${randomUUID()}`;
    const uploaded = await putVersion(assetId, png);
    // The same presigned form replayed with other bytes: a newer version of the same key.
    const replaced = await putVersion(assetId, Buffer.from('not the image that was checked'));
    const object = { step: 'inspect' as const, assetId, bucket, key: `originals/${assetId}` };
    expect(
      await inspect(s3, limits, object, { contentType: 'image/png', versionId: uploaded }),
    ).toMatchObject({
      contentType: 'image/png',
      sha256: createHash('sha256').update(png).digest('hex'),
      versionId: uploaded,
      width: 64,
    });
    // Without a recorded version (an asset not uploaded through an event) it pins the current one.
    expect(await inspect(s3, limits, object, { contentType: 'text/plain' })).toMatchObject({
      contentType: 'text/plain',
      versionId: replaced,
    });
  });

  it('refuses an object over the upload size limit before reading it', async () => {
    const error = await failureOf(
      inspect(s3, { ...limits, maxFileSize: 100 }, await upload(Buffer.alloc(101, 1)), {
        contentType: 'text/plain',
      }),
    );
    expect(error?.errorType).toBe('UnacceptedFile');
    expect(error?.message).toBe('The file is 101 bytes, over the limit of 100 bytes');
  });

  it('refuses a corrupt image with a reason', async () => {
    const png = await gradient(400, 400).png().toBuffer();
    const error = await failureOf(
      inspect(s3, limits, await upload(png.subarray(0, 60)), { contentType: 'image/png' }),
    );
    expect(error?.errorType).toBe('UnsupportedMedia');
    expect(error?.message).toMatch(/corrupt|truncated/);
  });

  it('refuses a decompression bomb (50,000 × 50,000 declared) from its header', async () => {
    const bomb = pngDeclaring(50_000, 50_000);
    expect(bomb.byteLength).toBeLessThan(2000);
    const error = await failureOf(inspect(s3, limits, await upload(bomb), { contentType: 'image/png' }));
    expect(error?.errorType).toBe('UnsupportedMedia');
    expect(error?.message).toMatch(/50000 × 50000 pixels/);
  });

  it('names a missing object ObjectMissing', async () => {
    const error = await failureOf(
      inspect(s3, limits, { step: 'inspect', assetId: 'gone', bucket, key: `originals/${randomUUID()}` }, {}),
    );
    expect(error?.errorType).toBe('ObjectMissing');
  });
});

describe('thumbnail', () => {
  it('makes an upright WebP inside the size at a fixed key; a re-run overwrites it', async () => {
    const jpeg = await gradient(1200, 800).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const input = await thumbnailInput(jpeg);
    const first = await thumbnail(s3, limits, input);
    // Orientation 6 turns the 1200 × 800 landscape into an 800 × 1200 portrait.
    expect(first).toMatchObject({
      name: 'small',
      key: `thumbnails/${input.assetId}/small.webp`,
      width: 107,
      height: 160,
      contentType: 'image/webp',
    });
    const again = await thumbnail(s3, limits, input);
    expect(again).toEqual(first);
    // A later write to the original changes nothing: the thumbnail is of the version inspect read.
    await putVersion(input.assetId, await gradient(90, 30).jpeg().toBuffer());
    expect(await thumbnail(s3, limits, input)).toEqual(first);
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: `thumbnails/${input.assetId}/` }),
    );
    expect(listed.KeyCount).toBe(1);
  });

  it('refuses a decompression bomb with a readable reason', async () => {
    const assetId = `w3-${randomUUID()}`;
    const input = {
      step: 'thumbnail' as const,
      assetId,
      bucket,
      key: `originals/${assetId}`,
      versionId: await putVersion(assetId, pngDeclaring(50_000, 50_000)),
      size: { name: 'small', maxDimension: 160 },
    };
    const error = await failureOf(thumbnail(s3, limits, input));
    expect(error?.errorType).toBe('UnsupportedMedia');
    expect(error?.message).toMatch(/pixels allowed/);
  });
});

describe('S3 down for now', () => {
  it('is the retryable StorageUnavailable (503 SlowDown, then refused); a missing object stays ObjectMissing', async () => {
    const slowDown =
      '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>';
    const server = createServer((_request, response) => {
      response.writeHead(503, { 'content-type': 'application/xml' }).end(slowDown);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const down = createS3Client(
      { region: config.AWS_REGION, forcePathStyle: true },
      {
        endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        maxAttempts: 1,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      },
    );
    const input = { step: 'thumbnail' as const, assetId: 'a1', bucket, key: 'originals/a1', versionId: 'v1' };
    const throttled = await failureOf(
      whileStorageUp(() => thumbnail(down, limits, { ...input, size: { name: 'small', maxDimension: 160 } })),
    );
    expect(throttled?.errorType).toBe('StorageUnavailable');
    expect(throttled?.message).toMatch(/^S3 is unavailable: /);
    await new Promise((resolve) => server.close(resolve));
    const refused = await failureOf(
      whileStorageUp(() => inspect(down, limits, { ...input, step: 'inspect' }, {})),
    );
    expect(refused?.errorType).toBe('StorageUnavailable');
    down.destroy();
    const missing = await failureOf(
      whileStorageUp(() =>
        inspect(s3, limits, { ...input, step: 'inspect', key: `originals/${randomUUID()}` }, {}),
      ),
    );
    expect(missing?.errorType).toBe('ObjectMissing');
  });
});

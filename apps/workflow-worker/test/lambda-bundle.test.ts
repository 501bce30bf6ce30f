import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '@stateless/aws';
import { loadEnv, workflowWorkerEnv } from '@stateless/config';
import { deployedArchitecture } from '@stateless/lambda-build/deployment';
import {
  type BuiltPackage,
  buildPackage,
  declaredNodeMajor,
  invokePackage,
  resultOf,
} from '@stateless/lambda-build/testing';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

/**
 * The worker's deployment package: the app's `build` script (sharp outside the bundle, its
 * native binaries for one architecture in the zip's node_modules).
 */
const appDir = join(import.meta.dirname, '..');
/** What infra gives the function, on the local cloud. No step run here calls the data API. */
const functionEnv = {
  ...inject('cloud').env,
  LOG_LEVEL: 'warn',
  DATA_API_INTERNAL_URL: 'http://127.0.0.1:1',
  SERVICE_TOKEN_SECRET: 'bundle-test-secret-that-is-at-least-32-characters',
};
const config = loadEnv(workflowWorkerEnv, functionEnv);

/** The ELF machine of a Linux binary: what CPU it is built for. */
const elfMachines: Record<number, string> = { 62: 'x64', 183: 'arm64' };
const elfMachine = (binary: Buffer) =>
  binary.subarray(0, 4).toString('latin1') === '\x7fELF' ? elfMachines[binary.readUInt16LE(18)] : undefined;

describe(`the package infra deploys (${deployedArchitecture})`, () => {
  let pkg: BuiltPackage;
  beforeAll(async () => {
    pkg = await buildPackage(appDir);
  }, 180_000);
  afterAll(() => pkg?.remove());

  it("holds sharp and its linux-arm64 binaries, no x64 ones, and sharp's code only outside the bundle", async () => {
    expect(deployedArchitecture).toBe('arm64');
    const binaries = pkg.files.filter((file) => /\.node$|\.so(\.\d+)*$/.test(file));
    expect(binaries.sort()).toEqual([
      'node_modules/@img/sharp-libvips-linux-arm64/lib/libvips-cpp.so.8.18.7',
      'node_modules/@img/sharp-linux-arm64/lib/sharp-linux-arm64-0.35.5.node',
    ]);
    for (const binary of binaries)
      expect(elfMachine(await readFile(join(pkg.dir, binary))), binary).toBe('arm64');
    expect(pkg.files.filter((file) => /x64|x86_64|darwin|win32|musl/.test(file))).toEqual([]);
    expect(pkg.files).toContain('node_modules/sharp/package.json');
    // sharp's version is the one the worker pins, and the bundle imports it rather than containing it.
    const shipped = JSON.parse(await readFile(join(pkg.dir, 'node_modules/sharp/package.json'), 'utf8'));
    const worker = JSON.parse(await readFile(join(appDir, 'package.json'), 'utf8'));
    expect(shipped.version).toBe(worker.dependencies.sharp);
    // Imported on the first image step (media.ts), so a cold start does not load it.
    expect(await readFile(join(pkg.dir, 'lambda.mjs'), 'utf8')).toMatch(/import\(\s*"sharp"\s*\)/);
  });
});

// arm64 binaries cannot load on this x64 machine, so the run test builds for the host instead.
describe('the package built for the host architecture (arm64 binaries cannot load here)', () => {
  let pkg: BuiltPackage;
  const s3 = createS3Client({ region: config.AWS_REGION, forcePathStyle: config.S3_FORCE_PATH_STYLE });
  const bucket = config.ASSETS_BUCKET;
  beforeAll(async () => {
    pkg = await buildPackage(appDir, ['--arch', 'host']);
  }, 180_000);
  afterAll(async () => {
    s3.destroy();
    await pkg?.remove();
  });

  it('runs a thumbnail step in a plain Node process against the local cloud S3', async () => {
    const assetId = `lambda-bundle-${randomUUID()}`;
    const key = `originals/${assetId}`;
    const png = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#3366cc' } })
      .png()
      .toBuffer();
    const { VersionId: versionId } = await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: png }),
    );

    const { node, outcomes } = await invokePackage(
      pkg,
      [
        { step: 'thumbnail', assetId, bucket, key, versionId, size: { name: 'small', maxDimension: 160 } },
        { step: 'thumbnail', assetId },
      ],
      functionEnv,
    );
    // On the Node major the Lambda runtime is deployed with.
    expect(node.split('.')[0]).toBe(await declaredNodeMajor());
    const [made, invalid] = outcomes;
    expect(resultOf(made)).toMatchObject({
      name: 'small',
      key: `thumbnails/${assetId}/small.webp`,
      width: 160,
      height: 120,
      contentType: 'image/webp',
    });
    const stored = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: `thumbnails/${assetId}/small.webp` }),
    );
    const webp = Buffer.from((await stored.Body?.transformToByteArray()) ?? []);
    expect(await sharp(webp).metadata()).toMatchObject({ format: 'webp', width: 160, height: 120 });
    // A payload that does not match the step's schema is the step's permanent error, not a crash.
    expect(invalid).toEqual({
      error: expect.objectContaining({ message: expect.stringMatching(/thumbnail payload/) }),
    });
  });
});

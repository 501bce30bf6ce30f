import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { everyApp, LoadStack } from '../src/stack.ts';
import { checkInvariants, openStores } from '../src/stores.ts';
import { postToS3, signSingle, uploadSingle, waitForFinalStatus } from '../src/uploads.ts';

/**
 * A file end to end, through the public entry only: signed by the upload service, POSTed
 * straight to S3 (moto), S3 → EventBridge → SQS → the upload function → a Step Functions
 * execution → the worker's steps → the asset READY or FAILED, read back from the data API.
 */
let stack: LoadStack;
let token: string;
const owner = `pipeline-${Date.now().toString(36)}`;

beforeAll(async () => {
  stack = await LoadStack.start({
    // Two environments of each app kept warm, more started as the load needs them; unconstrained
    // CPU: these tests prove behaviour, not capacity.
    policies: everyApp({ min: 2, max: 16 }),
    cpu: 'off',
    logDir: mkdtempSync(join(tmpdir(), 'pipeline-')),
    appEnv: { LOG_LEVEL: 'warn' },
  });
  token = await stack.userToken(owner);
});
afterAll(async () => {
  await stack?.stop();
});

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const image = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: '#3366cc' } });

async function upload(name: string, type: string, bytes: Uint8Array) {
  const id = await uploadSingle(stack.urls.public, token, { name, type, bytes });
  return waitForFinalStatus(stack.urls.public, token, id);
}

describe('upload → pipeline → asset, through the load balancer', () => {
  it('a PNG and a JPEG end READY with their sha256, dimensions and WebP thumbnails that download', async () => {
    const files = [
      { name: 'wide.png', type: 'image/png', bytes: await image(1200, 600).png().toBuffer() },
      { name: 'photo.jpg', type: 'image/jpeg', bytes: await image(800, 1000).jpeg().toBuffer() },
    ];
    const assets = await Promise.all(files.map((f) => upload(f.name, f.type, f.bytes)));
    for (const [i, asset] of assets.entries()) {
      const file = files[i] as (typeof files)[0];
      const { width, height } = await sharp(file.bytes).metadata();
      expect(asset).toMatchObject({
        status: 'READY',
        contentType: file.type,
        size: file.bytes.length,
        width,
        height,
      });
      expect(asset.sha256).toBe(sha256(file.bytes));
      expect(asset.thumbnails?.length).toBeGreaterThan(0);
      for (const thumbnail of asset.thumbnails ?? []) {
        const link = await fetch(
          `${stack.urls.public}/assets/${asset.id}/thumbnails/${thumbnail.name}/download`,
          {
            headers: { authorization: `Bearer ${token}` },
          },
        );
        expect(link.status).toBe(200);
        const { url } = (await link.json()) as { url: string };
        const webp = new Uint8Array(await (await fetch(url)).arrayBuffer());
        expect(await sharp(webp).metadata()).toMatchObject({
          format: 'webp',
          width: thumbnail.width,
          height: thumbnail.height,
        });
        // Scaled to fit, aspect ratio kept.
        expect(Math.abs(thumbnail.width / thumbnail.height - (width ?? 1) / (height ?? 1))).toBeLessThan(
          0.02,
        );
      }
    }
  });

  it('a non-image ends READY without thumbnails', async () => {
    const text = new TextEncoder().encode('plain words, not pixels\n'.repeat(100));
    const asset = await upload('notes.txt', 'text/plain', text);
    expect(asset).toMatchObject({ status: 'READY', size: text.length, sha256: sha256(text) });
    expect(asset.thumbnails ?? []).toEqual([]);
  });

  it('a corrupt image ends FAILED with a reason a user can read', async () => {
    const png = await image(400, 400).png().toBuffer();
    const corrupt = Buffer.concat([png.subarray(0, 64), Buffer.alloc(2000, 7)]);
    const asset = await upload('broken.png', 'image/png', corrupt);
    expect(asset.status).toBe('FAILED');
    expect(asset.failureReason).toMatch(/\w{3,}/);
    expect(asset.failureReason).not.toMatch(/at .*\.(ts|js):\d+/);
  });

  it('a worker instance SIGKILLed while executions run: every one still ends READY', async () => {
    const files = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        image(1500 + i * 10, 1000)
          .jpeg()
          .toBuffer(),
      ),
    );
    const ids = await Promise.all(
      files.map((bytes, i) =>
        uploadSingle(stack.urls.public, token, { name: `k${i}.jpg`, type: 'image/jpeg', bytes }),
      ),
    );
    const [victim] = stack.running('workflow-worker');
    if (!victim) throw new Error('no worker instance running');
    // Mid-pipeline: killed once at least half of these executions are running (their names
    // are the asset ids), so the victim holds or is about to get some of their steps.
    const stores = openStores(stack.stores);
    let runningAtKill: string[] = [];
    try {
      for (let polls = 0; runningAtKill.length < ids.length / 2; polls++) {
        if (polls > 1500) throw new Error(`only ${runningAtKill.length} executions ever ran at once`);
        const { executions = [] } = await stores.sfn.send(
          new ListExecutionsCommand({
            stateMachineArn: stack.stores.stateMachineArn,
            statusFilter: 'RUNNING',
          }),
        );
        runningAtKill = executions.map((e) => e.name ?? '').filter((name) => ids.includes(name));
      }
      void stack.app('workflow-worker').kill(victim);
    } finally {
      stores.close();
    }
    const assets = await Promise.all(ids.map((id) => waitForFinalStatus(stack.urls.public, token, id)));
    expect(assets.map((a) => a.status)).toEqual(ids.map(() => 'READY'));
    // Killed by a signal: no exit code.
    expect(await victim.exited).toBeNull();
    console.log(`worker SIGKILLed with ${runningAtKill.length} of ${ids.length} executions running`);
  });

  it('the signed form replayed after READY, then after DELETE: the download serves what was hashed, the key stays empty', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const checked = await image(300, 200).png().toBuffer();
    const file = { name: 'replayed.png', type: 'image/png', size: checked.length };
    const post = await signSingle(stack.urls.public, token, file);
    expect((await postToS3(post, checked)).status).toBeLessThan(300);
    const asset = await waitForFinalStatus(stack.urls.public, token, post.assetId);
    expect(asset).toMatchObject({ status: 'READY', sha256: sha256(checked) });
    const stores = openStores(stack.stores);
    const key = `originals/${post.assetId}`;
    /** Every version and delete marker of the original's key. */
    const versions = async () => {
      const listed = await stores.s3.send(
        new ListObjectVersionsCommand({ Bucket: stack.stores.bucket, Prefix: key }),
      );
      return [...(listed.Versions ?? []), ...(listed.DeleteMarkers ?? [])].filter((v) => v.Key === key);
    };
    try {
      // Other bytes of the same size: the policy's content-length-range allows them.
      expect((await postToS3(post, Buffer.alloc(checked.length, 0x5a))).status).toBeLessThan(300);
      // Its Object Created event (moto's, through EventBridge and SQS) deletes that version.
      await expect.poll(versions, { timeout: 30_000, interval: 200 }).toHaveLength(1);
      const link = await fetch(`${stack.urls.public}/assets/${asset.id}/download`, { headers: auth });
      const { url } = (await link.json()) as { url: string };
      expect(sha256(new Uint8Array(await (await fetch(url)).arrayBuffer()))).toBe(sha256(checked));
      const deleted = await fetch(`${stack.urls.public}/assets/${asset.id}`, {
        method: 'DELETE',
        headers: auth,
      });
      expect(deleted.status).toBe(204);
      expect(await versions()).toEqual([]);
      // The form is still valid (its TTL), and S3 takes the bytes; the event empties the key again.
      expect((await postToS3(post, checked)).status).toBeLessThan(300);
      await expect.poll(versions, { timeout: 30_000, interval: 200 }).toEqual([]);
    } finally {
      stores.close();
    }
  });

  it('leaves every store invariant true afterwards: objects for every READY asset, nothing running', async () => {
    const stores = openStores(stack.stores);
    try {
      const invariants = await checkInvariants(stores, {});
      expect(invariants.filter((i) => !i.ok)).toEqual([]);
      // Not vacuous: the READY assets above were looked up in S3.
      expect(invariants.find((i) => i.name.startsWith('READY'))?.checked).toBeGreaterThanOrEqual(9);
    } finally {
      stores.close();
    }
  });
});

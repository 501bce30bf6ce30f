import type { PresignedPost } from '@stateless/contracts';
import sharp from 'sharp';
import { percentile } from './percentile.ts';
import { postToS3, signSingle, waitForFinalStatus } from './uploads.ts';

export interface UploadLoadConfig {
  /** Uploads in flight at once; each goes sign → POST to S3 → READY before the next starts. */
  concurrency: number;
  /**
   * A photo-like JPEG of this size instead of the small PNG: decoding and resizing it is CPU work
   * for the worker (the pipeline's scale-out measures the worker, not moto's bytes).
   */
  photo?: { width: number; height: number };
  /** The user who uploads: its assets are all this run's uploads, so the invariants can count them. */
  ownerId: string;
  token: string;
}

export interface UploadLoadResult {
  /** Uploads the client began (a retried one counts once). */
  started: number;
  /** Asset ids whose bytes S3 acknowledged (the POST answered 2xx). */
  acknowledged: string[];
  ready: number;
  /** Acknowledged uploads that ended FAILED, or were not final within the wait. */
  notReady: number;
  /** Uploads the client gave up on after every attempt failed before S3 acknowledged the bytes. */
  gaveUp: number;
  /** Attempts after the first (a sign or a POST that failed, retried whole, as a client would). */
  retries: number;
  /**
   * Acknowledged uploads whose POST the client sent again with the same signed form, as a client
   * does whose answer was lost after S3 had the bytes: S3 stores the key again and sends a second
   * Object Created event, which must give no second asset or execution (the invariants check).
   */
  resent: number;
  /**
   * When each upload was seen READY, in seconds since the uploads started (with the phase's load):
   * those in flight when the load stops land after its end, and are counted there.
   */
  readyAt: number[];
  /** From S3's acknowledgement to READY, as the client saw it by polling the data API. */
  p50: number;
  p95: number;
  failures: string[];
}

const attempts = 3;
const finalWaitMs = 60_000;

/** A small, incompressible PNG: real decoding and resizing work for the pipeline, ~40 KB. */
export const smallPng = () =>
  sharp({
    create: {
      width: 160,
      height: 120,
      channels: 3,
      background: '#888',
      noise: { type: 'gaussian', sigma: 40 },
    },
  })
    .png()
    .toBuffer();

/** A photo-like JPEG: smooth noise, so it compresses like a picture and not like a flat colour. */
export async function photo(width: number, height: number, quality = 90) {
  return sharp({
    create: {
      width: Math.ceil(width / 8),
      height: Math.ceil(height / 8),
      channels: 3,
      background: '#808080',
      noise: { type: 'gaussian', mean: 128, sigma: 60 },
    },
  })
    .resize(width, height, { kernel: 'cubic' })
    .jpeg({ quality })
    .toBuffer();
}

/**
 * Small image uploads through the whole pipeline while the request load runs, as users
 * upload while others browse: `concurrency` clients, each uploading, then polling its asset
 * until READY, then the next, until `stopped` says the load is over. Every other upload sends
 * its POST twice (`resent`). A failed sign or POST is
 * retried whole (a new upload, as Uppy's retry does); a lost answer can therefore leave a
 * PENDING asset with no bytes, which expires (its TTL) and is never processed.
 */
export async function runUploads(
  baseUrl: string,
  config: UploadLoadConfig,
  stopped: () => boolean,
  onReady: () => void,
): Promise<UploadLoadResult> {
  const bytes = new Uint8Array(
    await (config.photo ? photo(config.photo.width, config.photo.height) : smallPng()),
  );
  const type = config.photo ? 'image/jpeg' : 'image/png';
  const result: UploadLoadResult = {
    started: 0,
    acknowledged: [],
    ready: 0,
    notReady: 0,
    gaveUp: 0,
    retries: 0,
    resent: 0,
    readyAt: [],
    p50: 0,
    p95: 0,
    failures: [],
  };
  const latencies: number[] = [];
  const started = performance.now();
  const postOnce = async (post: PresignedPost) => {
    const stored = await postToS3(post, bytes);
    if (stored.status >= 300) throw new Error(`S3 POST: ${stored.status} ${await stored.text()}`);
  };
  const fail = (problem: string) => result.failures.length < 20 && result.failures.push(problem);

  const client = async (c: number) => {
    for (let n = 0; !stopped(); n++) {
      result.started++;
      let assetId: string | undefined;
      let post: PresignedPost | undefined;
      for (let attempt = 1; attempt <= attempts && !assetId; attempt++) {
        if (attempt > 1) result.retries++;
        try {
          const file = { name: `load-${c}-${n}.${type.slice(6)}`, type, size: bytes.length };
          post = await signSingle(baseUrl, config.token, file);
          await postOnce(post);
          assetId = post.assetId;
        } catch (error) {
          if (attempt === attempts) fail(`upload load-${c}-${n}: ${(error as Error).message}`);
        }
      }
      if (!assetId) {
        result.gaveUp++;
        continue;
      }
      result.acknowledged.push(assetId);
      // Every other upload (each client's first included): the same signed form again, as after
      // an answer lost on its way back.
      if (n % 2 === 0 && post) {
        try {
          await postOnce(post);
          result.resent++;
        } catch (error) {
          fail(`resend of ${assetId}: ${(error as Error).message}`);
        }
      }
      const acknowledgedAt = performance.now();
      try {
        const asset = await waitForFinalStatus(baseUrl, config.token, assetId, finalWaitMs);
        if (asset.status === 'READY') {
          result.ready++;
          latencies.push(performance.now() - acknowledgedAt);
          result.readyAt.push(Math.round((performance.now() - started) / 100) / 10);
          onReady();
        } else {
          result.notReady++;
          fail(`${assetId}: ${asset.status} (${asset.failureReason ?? 'no reason'})`);
        }
      } catch (error) {
        result.notReady++;
        fail((error as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: config.concurrency }, (_, c) => client(c)));
  const sorted = latencies.sort((a, b) => a - b);
  result.p50 = Math.round(percentile(sorted, 50));
  result.p95 = Math.round(percentile(sorted, 95));
  return result;
}

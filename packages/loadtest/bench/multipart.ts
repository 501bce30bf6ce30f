import { createHash, randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { multipartClient } from '../src/uploads.ts';
import { inPool } from './machine.ts';

/**
 * A large file that is never in memory: printable text (declared text/plain, which the
 * pipeline accepts without magic bytes), made one part at a time from one random block, each
 * part unique by its number. Both upload ways send exactly these bytes in these parts.
 */
export function generatedFile(size: number, partSize: number) {
  const block = randomBytes(partSize).map((byte) => 32 + (byte % 95));
  const count = Math.ceil(size / partSize);
  const part = (partNumber: number) => {
    const bytes = Buffer.from(block.subarray(0, Math.min(partSize, size - (partNumber - 1) * partSize)));
    bytes.write(`part ${partNumber} of ${count}\n`);
    return bytes;
  };
  return {
    size,
    partSize,
    count,
    part,
    stream: () =>
      Readable.from(
        (function* () {
          for (let n = 1; n <= count; n += 1) yield part(n);
        })(),
      ),
    sha256() {
      const hash = createHash('sha256');
      for (let n = 1; n <= count; n += 1) hash.update(part(n));
      return hash.digest('hex');
    },
  };
}
export type GeneratedFile = ReturnType<typeof generatedFile>;

/**
 * A part PUT to its presigned URL over node:http with keep-alive, the transport the SDK's
 * Node handler uses, so the comparison is of the protocols and not of HTTP clients: Node's
 * fetch (undici) took about twice as long per 5 MiB PUT to moto here (a browser's is native).
 * Answers S3's ETag.
 */
function putPart(agent: Agent, url: string, body: Buffer) {
  return new Promise<string>((resolve, reject) => {
    const req = request(
      url,
      { method: 'PUT', agent, headers: { 'content-length': String(body.length) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const etag = res.headers.etag;
          if (res.statusCode === 200 && etag) resolve(etag);
          else reject(new Error(`part PUT: ${res.statusCode} ${Buffer.concat(chunks).toString()}`));
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Our way, as a browser client does it: create through the upload service (which records the
 * PENDING asset), part URLs from the batch route `signBatch` at a time (the next batch asked
 * for while the current one is sent), `concurrency` part PUTs straight to S3 at once, then
 * complete. Every signing call goes through the load balancer.
 */
export async function viaSigningRoutes(
  publicUrl: string,
  token: string,
  file: GeneratedFile,
  options: { concurrency: number; signBatch: number; name: string },
) {
  const client = multipartClient(publicUrl, token);
  const started = performance.now();
  const upload = await client.create({ name: options.name, type: 'text/plain', size: file.size });
  const batches = new Map<number, Promise<Record<string, string>>>();
  const batch = (index: number) => {
    let signed = batches.get(index);
    if (!signed) {
      const first = index * options.signBatch + 1;
      const numbers = Array.from(
        { length: Math.min(options.signBatch, file.count - first + 1) },
        (_, i) => first + i,
      );
      signed = client.signParts(upload, numbers).then((answer) => answer.presignedUrls);
      batches.set(index, signed);
    }
    return signed;
  };
  const urlOf = async (partNumber: number) => {
    const index = Math.floor((partNumber - 1) / options.signBatch);
    if ((index + 1) * options.signBatch < file.count) void batch(index + 1);
    const url = (await batch(index))[String(partNumber)];
    if (!url) throw new Error(`no URL signed for part ${partNumber}`);
    return url;
  };
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const parts = await inPool(file.count, options.concurrency, async (i) => {
    const PartNumber = i + 1;
    return { PartNumber, ETag: await putPart(agent, await urlOf(PartNumber), file.part(PartNumber)) };
  }).finally(() => agent.destroy());
  const sent = performance.now();
  await client.complete(upload, parts);
  const ms = { parts: sent - started, complete: performance.now() - sent };
  return { assetId: upload.assetId, key: upload.key, signCalls: batches.size + 2, ms };
}

/** The baseline: the SDK's own managed multipart upload, straight to the same S3, same parts and concurrency. */
export async function viaSdk(
  s3: S3Client,
  bucket: string,
  key: string,
  file: GeneratedFile,
  concurrency: number,
) {
  const upload = new Upload({
    client: s3,
    params: { Bucket: bucket, Key: key, Body: file.stream(), ContentType: 'text/plain' },
    partSize: file.partSize,
    queueSize: concurrency,
    leavePartsOnError: false,
  });
  const started = performance.now();
  let sent = started;
  upload.on('httpUploadProgress', () => {
    sent = performance.now();
  });
  await upload.done();
  return { ms: { parts: sent - started, complete: performance.now() - sent } };
}

import { request as httpRequest } from 'node:http';
import {
  type Asset,
  type Completed,
  type MultipartCreated,
  type PartUrl,
  type PartUrls,
  type PresignedPost,
  type UploadedParts,
  uploadsBasePath,
} from '@stateless/contracts';

/** Companion's `s3/params`: a presigned POST for one file, signed by the upload service. */
export async function signSingle(
  publicUrl: string,
  token: string,
  file: { name: string; type: string; size: number },
): Promise<PresignedPost> {
  const query = new URLSearchParams({ filename: file.name, type: file.type, size: String(file.size) });
  const signed = await fetch(`${publicUrl}${uploadsBasePath}/s3/params?${query}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (signed.status !== 200) throw new Error(`s3/params: ${signed.status} ${await signed.text()}`);
  return (await signed.json()) as PresignedPost;
}

/**
 * The form a browser POSTs to S3: the signed fields, then the file last. `fields` replaces
 * signed ones, to send what the policy forbids.
 */
export function postToS3(post: PresignedPost, bytes: Uint8Array, fields: Record<string, string> = {}) {
  const form = new FormData();
  for (const [name, value] of Object.entries({ ...post.fields, ...fields })) form.append(name, value);
  form.append('file', new Blob([bytes]), 'file');
  return fetch(post.url, { method: post.method, body: form });
}

/**
 * One file through the public entry as a browser client sends it: sign with the upload
 * service, then POST the bytes straight to S3.
 * Returns the asset id; the pipeline takes it from there.
 */
export async function uploadSingle(
  publicUrl: string,
  token: string,
  file: { name: string; type: string; bytes: Uint8Array },
): Promise<string> {
  const post = await signSingle(publicUrl, token, { ...file, size: file.bytes.length });
  const stored = await postToS3(post, file.bytes);
  if (stored.status >= 300) throw new Error(`S3 POST: ${stored.status} ${await stored.text()}`);
  return post.assetId;
}

/**
 * Reads the asset until it leaves the pipeline (READY or FAILED), or throws after `timeoutMs`.
 * Every `pollMs`: a latency measured with it is known to within that much.
 */
export async function waitForFinalStatus(
  publicUrl: string,
  token: string,
  assetId: string,
  timeoutMs = 60_000,
  pollMs = 250,
): Promise<Asset> {
  const deadline = Date.now() + timeoutMs;
  let last: Asset | undefined;
  let lastError = '';
  while (Date.now() < deadline) {
    // A poll is a GET: one lost to the network (a kept-alive connection the load balancer had
    // closed) is polled again, as a client polling does; only the deadline gives up.
    const res = await fetch(`${publicUrl}/assets/${assetId}`, {
      headers: { authorization: `Bearer ${token}` },
    }).catch((error: Error) => {
      lastError = `, last poll: ${error.message}`;
      return undefined;
    });
    if (!res) {
      await new Promise((resolve) => setTimeout(resolve, pollMs));
      continue;
    }
    if (res.status === 200) {
      last = (await res.json()) as Asset;
      if (last.status === 'READY' || last.status === 'FAILED') return last;
    } else await res.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  throw new Error(`asset ${assetId} still ${last?.status ?? 'unreadable'} after ${timeoutMs} ms${lastError}`);
}

/**
 * The multipart half of Companion's S3 protocol, called as @uppy/aws-s3 calls it (bearer token,
 * JSON, `key` in the query). `request` answers the raw response, for tests of refusals; the
 * typed calls throw on anything but 2xx.
 */
export function multipartClient(publicUrl: string, token: string) {
  const base = `${publicUrl}${uploadsBasePath}/s3/multipart`;
  const request = (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) =>
    fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const json = async <T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> => {
    const res = await request(method, path, body);
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const at = (upload: MultipartCreated, rest = '', query: Record<string, string> = {}) =>
    `/${encodeURIComponent(upload.uploadId)}${rest}?${new URLSearchParams({ key: upload.key, ...query })}`;

  return {
    request,
    /** The route paths of one upload, for calls made with `request`. */
    paths: (upload: MultipartCreated) => ({
      list: at(upload),
      batch: (partNumbers: number[]) => at(upload, '/batch', { partNumbers: partNumbers.join(',') }),
      sign: (partNumber: number) => at(upload, `/${partNumber}`),
      complete: at(upload, '/complete'),
      abort: at(upload),
    }),
    create: (file: { name: string; type: string; size: number }) =>
      json<MultipartCreated>('POST', '', {
        filename: file.name,
        type: file.type,
        metadata: { size: file.size },
      }),
    listParts: (upload: MultipartCreated) => json<UploadedParts>('GET', at(upload)),
    signParts: (upload: MultipartCreated, partNumbers: number[]) =>
      json<PartUrls>('GET', at(upload, '/batch', { partNumbers: partNumbers.join(',') })),
    signPart: (upload: MultipartCreated, partNumber: number) =>
      json<PartUrl>('GET', at(upload, `/${partNumber}`)),
    complete: (upload: MultipartCreated, parts: { PartNumber: number; ETag: string }[]) =>
      json<Completed>('POST', at(upload, '/complete'), {
        parts: parts.map(({ PartNumber, ETag }) => ({ PartNumber, ETag })),
      }),
    abort: (upload: MultipartCreated) => json<{ assetId: string }>('DELETE', at(upload)),
  };
}

/** PUTs one part to its presigned URL and answers S3's ETag, which the complete call names it by. */
export async function putPart(url: string, bytes: Uint8Array, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'PUT', headers, body: bytes });
  if (res.status !== 200) throw new Error(`part PUT: ${res.status} ${await res.text()}`);
  await res.body?.cancel();
  const etag = res.headers.get('etag');
  if (!etag) throw new Error('S3 answered a part PUT without an ETag');
  return etag;
}

/**
 * A part PUT whose connection drops after `sentBytes` of the declared length, as a browser's
 * does when the network goes: S3 never gets the whole part. Resolves once the socket is gone.
 */
export function interruptedPut(url: string, bytes: Uint8Array, sentBytes: number) {
  return new Promise<void>((resolve) => {
    const req = httpRequest(url, { method: 'PUT', headers: { 'content-length': String(bytes.length) } });
    req.on('error', () => resolve());
    req.on('close', () => resolve());
    req.write(bytes.subarray(0, sentBytes), () => req.destroy());
  });
}

/** A thumbnail's bytes, as a client gets them: a download link from the data API, then S3. */
export async function thumbnailBytes(publicUrl: string, token: string, assetId: string, name: string) {
  const link = await fetch(`${publicUrl}/assets/${assetId}/thumbnails/${name}/download`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (link.status !== 200) throw new Error(`thumbnail link: ${link.status} ${await link.text()}`);
  const { url } = (await link.json()) as { url: string };
  const object = await fetch(url);
  if (object.status !== 200) throw new Error(`thumbnail GET: ${object.status}`);
  return new Uint8Array(await object.arrayBuffer());
}

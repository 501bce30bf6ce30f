import { type Asset, type PresignedPost, uploadsBasePath } from '@stateless/contracts';

/**
 * One file through the public entry as a browser client sends it: sign with the upload
 * service (Companion's `s3/params`), then POST the bytes straight to S3.
 * Returns the asset id; the pipeline takes it from there.
 */
export async function uploadSingle(
  publicUrl: string,
  token: string,
  file: { name: string; type: string; bytes: Uint8Array },
): Promise<string> {
  const query = new URLSearchParams({
    filename: file.name,
    type: file.type,
    size: String(file.bytes.length),
  });
  const signed = await fetch(`${publicUrl}${uploadsBasePath}/s3/params?${query}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (signed.status !== 200) throw new Error(`s3/params: ${signed.status} ${await signed.text()}`);
  const post = (await signed.json()) as PresignedPost;
  const form = new FormData();
  for (const [name, value] of Object.entries(post.fields)) form.append(name, value);
  form.append('file', new Blob([file.bytes], { type: file.type }), file.name);
  const stored = await fetch(post.url, { method: post.method, body: form });
  if (stored.status >= 300) throw new Error(`S3 POST: ${stored.status} ${await stored.text()}`);
  return post.assetId;
}

/** Reads the asset until it leaves the pipeline (READY or FAILED), or throws after `timeoutMs`. */
export async function waitForFinalStatus(
  publicUrl: string,
  token: string,
  assetId: string,
  timeoutMs = 60_000,
): Promise<Asset> {
  const deadline = Date.now() + timeoutMs;
  let last: Asset | undefined;
  while (Date.now() < deadline) {
    const res = await fetch(`${publicUrl}/assets/${assetId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (res.status === 200) {
      last = (await res.json()) as Asset;
      if (last.status === 'READY' || last.status === 'FAILED') return last;
    } else await res.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`asset ${assetId} still ${last?.status ?? 'unreadable'} after ${timeoutMs} ms`);
}

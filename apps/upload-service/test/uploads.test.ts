import { randomBytes } from 'node:crypto';
import { HeadObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '@stateless/aws';
import { mintUserToken } from '@stateless/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { app, cloud, maxUploadBytes, secret } from './service.ts';

const s3 = createS3Client({ region: cloud.region, forcePathStyle: true });
const Bucket = cloud.names.assetsBucket;
let alice: string;
let bob: string;
beforeAll(async () => {
  alice = await mintUserToken(secret, 'alice');
  bob = await mintUserToken(secret, 'bob');
});
afterAll(async () => {
  s3.destroy();
});

const call = (method: 'GET' | 'POST' | 'DELETE', url: string, token: string, body?: object) =>
  app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${token}` },
    ...(body ? { payload: body } : {}),
  });

const postTo = async (post: { url: string; fields: Record<string, string> }, bytes: Buffer, type: string) => {
  const form = new FormData();
  for (const [name, value] of Object.entries({ ...post.fields, 'Content-Type': type }))
    form.append(name, value);
  form.append('file', new Blob([bytes], { type }), 'f');
  return fetch(post.url, { method: 'POST', body: form });
};

const exists = (Key: string) =>
  s3.send(new HeadObjectCommand({ Bucket, Key })).then(
    () => true,
    () => false,
  );

describe('single upload (presigned POST)', () => {
  it('signs a POST S3 accepts for the declared type, under originals/<assetId>, with a PENDING asset', async () => {
    const response = await call('GET', '/uploads/s3/params?filename=../../etc/passwd&type=image/png', alice);
    expect(response.statusCode).toBe(200);
    const post = response.json();
    expect(post).toMatchObject({ method: 'POST', expires: 3600 });
    expect(post.key).toBe(`originals/${post.assetId}`);
    const stored = await postTo(post, randomBytes(100), 'image/png');
    expect(stored.status).toBeLessThan(300);
    expect(await exists(post.key)).toBe(true);
  });

  // moto stores any POST to the bucket without evaluating the policy (moto/s3/responses.py has no
  // policy check), so what S3 enforces is read from the signed policy document itself.
  it('signs a policy that binds the content type and the size range, for this key only', async () => {
    const post = (await call('GET', '/uploads/s3/params?filename=a.png&type=image/png', alice)).json();
    const policy = JSON.parse(Buffer.from(post.fields.Policy, 'base64').toString('utf8'));
    expect(policy.conditions).toEqual(
      expect.arrayContaining([
        ['content-length-range', 1, maxUploadBytes],
        ['eq', '$Content-Type', 'image/png'],
        { key: post.key },
      ]),
    );
    expect(Date.parse(policy.expiration) - Date.now()).toBeGreaterThan(3500_000);
    expect(post.fields['X-Amz-Signature']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('pins the declared size exactly when one is declared', async () => {
    const post = (
      await call('GET', '/uploads/s3/params?filename=a.txt&type=text/plain&size=42', alice)
    ).json();
    const policy = JSON.parse(Buffer.from(post.fields.Policy, 'base64').toString('utf8'));
    expect(policy.conditions).toContainEqual(['content-length-range', 42, 42]);
  });

  it('refuses a type outside the allowlist (415) and a declared size over the limit (413), in the error shape', async () => {
    const html = await call('GET', '/uploads/s3/params?filename=a.html&type=text/html', alice);
    expect(html.statusCode).toBe(415);
    expect(html.json().error.code).toBe('UnsupportedMediaType');
    const big = await call(
      'GET',
      `/uploads/s3/params?filename=a.png&type=image/png&size=${maxUploadBytes + 1}`,
      alice,
    );
    expect(big.statusCode).toBe(413);
    expect(big.json().error).toMatchObject({
      code: 'PayloadTooLarge',
      message: `${maxUploadBytes + 1} bytes is over the limit of ${maxUploadBytes} bytes`,
    });
    const missing = await call('GET', '/uploads/s3/params?type=image/png', alice);
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.code).toBeTypeOf('string');
    const anonymous = await app.inject('/uploads/s3/params?filename=a.png&type=image/png');
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().error.code).toBe('Unauthorized');
  });
});

describe('multipart upload', () => {
  const part = randomBytes(5 * 1024 * 1024);
  const tail = randomBytes(1000);

  it('creates, signs parts, takes the parts by presigned PUT, lists them and completes (twice)', async () => {
    const created = await call('POST', '/uploads/s3/multipart', alice, {
      filename: 'big.pdf',
      type: 'application/pdf',
    });
    expect(created.statusCode).toBe(200);
    const { key, uploadId, assetId } = created.json();
    expect(key).toBe(`originals/${assetId}`);
    const base = `/uploads/s3/multipart/${encodeURIComponent(uploadId)}`;
    const q = `key=${encodeURIComponent(key)}`;
    const batch = (await call('GET', `${base}/batch?${q}&partNumbers=1,2`, alice)).json();
    expect(Object.keys(batch.presignedUrls)).toEqual(['1', '2']);
    const etags: string[] = [];
    for (const [n, body] of [
      ['1', part],
      ['2', tail],
    ] as const) {
      const put = await fetch(batch.presignedUrls[n], { method: 'PUT', body });
      expect(put.status).toBe(200);
      etags.push(put.headers.get('etag') as string);
    }
    const single = (await call('GET', `${base}/2?${q}`, alice)).json();
    expect(single).toMatchObject({ expires: 3600, assetId });
    // A checksum signed into a part URL is one of a body the service never saw (the SDK's default
    // signs the CRC32 of an empty body); S3 refuses every real part against it, moto checks none.
    for (const url of [...Object.values<string>(batch.presignedUrls), single.url]) {
      const signed = [...new URL(url).searchParams.keys()].map((name) => name.toLowerCase());
      expect(signed.filter((name) => name.includes('checksum'))).toEqual([]);
    }
    const listed = (await call('GET', `${base}?${q}`, alice)).json();
    expect(listed.map((p: { PartNumber: number; Size: number }) => [p.PartNumber, p.Size])).toEqual([
      [1, part.length],
      [2, tail.length],
    ]);
    const parts = etags.map((ETag, i) => ({ PartNumber: i + 1, ETag }));
    const done = await call('POST', `${base}/complete?${q}`, alice, { parts });
    expect(done.statusCode).toBe(200);
    expect(await exists(key)).toBe(true);
    const again = await call('POST', `${base}/complete?${q}`, alice, { parts });
    expect(again.statusCode).toBe(200);
    expect(again.json().location).toBe(done.json().location);
  });

  it('abort leaves no incomplete upload; another user gets 404 on every call', async () => {
    const { key, uploadId } = (
      await call('POST', '/uploads/s3/multipart', alice, { filename: 'x.png', type: 'image/png' })
    ).json();
    const base = `/uploads/s3/multipart/${encodeURIComponent(uploadId)}`;
    const q = `key=${encodeURIComponent(key)}`;
    for (const [method, url] of [
      ['GET', `${base}?${q}`],
      ['GET', `${base}/batch?${q}&partNumbers=1`],
      ['GET', `${base}/1?${q}`],
      ['DELETE', `${base}?${q}`],
    ] as const) {
      const other = await call(method, url, bob);
      expect(other.statusCode, `${method} ${url}`).toBe(404);
      expect(other.json().error.code).toBe('NotFound');
    }
    const stranger = await call('POST', `${base}/complete?${q}`, bob, {
      parts: [{ PartNumber: 1, ETag: '"x"' }],
    });
    expect(stranger.statusCode).toBe(404);
    expect((await call('DELETE', `${base}?${q}`, alice)).statusCode).toBe(200);
    const open = await s3.send(new ListMultipartUploadsCommand({ Bucket, Prefix: key }));
    expect(open.Uploads ?? []).toEqual([]);
  });

  it('signs parts only for an upload id of the key (404 otherwise); complete answers 400 to parts S3 refuses or that miss the declared size', async () => {
    const created = await call('POST', '/uploads/s3/multipart', alice, {
      filename: 'sized.pdf',
      type: 'application/pdf',
      size: 2 * tail.length,
    });
    const { key, uploadId } = created.json();
    const q = `key=${encodeURIComponent(key)}`;
    const base = `/uploads/s3/multipart/${encodeURIComponent(uploadId)}`;
    const stranger = `/uploads/s3/multipart/not-${encodeURIComponent(uploadId)}`;
    expect((await call('GET', `${stranger}/1?${q}`, alice)).statusCode).toBe(404);
    expect((await call('GET', `${stranger}/batch?${q}&partNumbers=1`, alice)).statusCode).toBe(404);
    const batch = (await call('GET', `${base}/batch?${q}&partNumbers=1,2`, alice)).json();
    const parts = [];
    for (const n of [1, 2]) {
      const put = await fetch(batch.presignedUrls[n], { method: 'PUT', body: tail });
      parts.push({ PartNumber: n, ETag: put.headers.get('etag') as string });
    }
    // Two parts of 1000 bytes: the declared size, but S3 wants 5 MiB for every part but the last.
    const tooSmall = await call('POST', `${base}/complete?${q}`, alice, { parts });
    expect(tooSmall.statusCode).toBe(400);
    expect(tooSmall.json().error).toMatchObject({ code: 'ValidationError' });
    expect(tooSmall.json().error.message).toContain('EntityTooSmall');
    // One part: 1000 bytes where 2000 were declared.
    const short = await call('POST', `${base}/complete?${q}`, alice, { parts: parts.slice(0, 1) });
    expect(short.statusCode).toBe(400);
    expect(short.json().error.message).toContain('declared 2000');
    expect(await exists(key)).toBe(false);
  });

  it('answers 4xx in the error shape to bad input', async () => {
    const bad = [
      await call('POST', '/uploads/s3/multipart', alice, {
        filename: 'x.exe',
        type: 'application/x-msdownload',
      }),
      await call('GET', '/uploads/s3/multipart/u1?key=photos/../x', alice),
      await call('GET', '/uploads/s3/multipart/u1/0?key=originals/abc', alice),
      await call('GET', '/uploads/s3/multipart/u1/batch?key=originals/abc&partNumbers=x', alice),
      await call('POST', '/uploads/s3/multipart/u1/complete?key=originals/abc', alice, { parts: [] }),
      await call('GET', '/uploads/s3/multipart/u1?key=originals/no-such-asset', alice),
    ];
    expect(bad.map((r) => r.statusCode)).toEqual([415, 400, 400, 400, 400, 404]);
    for (const response of bad) expect(response.json().error.message).toBeTypeOf('string');
  });
});

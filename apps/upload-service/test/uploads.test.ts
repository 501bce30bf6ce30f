import { randomBytes } from 'node:crypto';
import { HeadObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '@stateless/aws';
import { maxBatchParts, mintUserToken } from '@stateless/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { app, cloud, dataApi, maxUploadBytes, secret, startUploadService } from './service.ts';

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

  it('abort leaves no incomplete upload and no PENDING asset; another user gets 404 on every call', async () => {
    const { key, uploadId, assetId } = (
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
    // The aborted upload's asset expired with it: not in its owner's view, not an open upload.
    const asset = await dataApi.publicApp.inject({
      url: `/assets/${assetId}`,
      headers: { authorization: `Bearer ${alice}` },
    });
    expect(asset.statusCode).toBe(404);
    expect((await call('DELETE', `${base}?${q}`, alice)).statusCode).toBe(404);
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

/** A multipart upload of `owner`'s, with the base path and key query its routes take. */
const createUpload = async (token: string, body: object = { filename: 'x.pdf', type: 'application/pdf' }) => {
  const created = await call('POST', '/uploads/s3/multipart', token, body);
  expect(created.statusCode).toBe(200);
  const { key, uploadId, assetId } = created.json();
  return {
    key: key as string,
    uploadId: uploadId as string,
    assetId: assetId as string,
    base: `/uploads/s3/multipart/${encodeURIComponent(uploadId)}`,
    q: `key=${encodeURIComponent(key)}`,
  };
};

/** Puts each body as the next part through a signed URL; the parts as a complete names them. */
const putParts = async (upload: { base: string; q: string }, token: string, bodies: Buffer[]) => {
  const parts = [];
  for (const [i, body] of bodies.entries()) {
    const signed = (await call('GET', `${upload.base}/${i + 1}?${upload.q}`, token)).json();
    const put = await fetch(signed.url, { method: 'PUT', body });
    expect(put.status).toBe(200);
    parts.push({ PartNumber: i + 1, ETag: put.headers.get('etag') as string });
  }
  return parts;
};

const isOpen = async (key: string, uploadId: string) => {
  const open = await s3.send(new ListMultipartUploadsCommand({ Bucket, Prefix: key }));
  return (open.Uploads ?? []).some((upload) => upload.UploadId === uploadId);
};

/** The five multipart routes of one upload, as `[method, url, body]`. */
const multipartRoutes = (base: string, q: string) =>
  [
    ['GET', `${base}?${q}`],
    ['GET', `${base}/batch?${q}&partNumbers=1`],
    ['GET', `${base}/1?${q}`],
    ['POST', `${base}/complete?${q}`, { parts: [{ PartNumber: 1, ETag: '"x"' }] }],
    ['DELETE', `${base}?${q}`],
  ] as const;

describe('an upload id is bound to the asset it was created with (issue 21, item 4)', () => {
  it("refuses another user's upload id with their own key on all five routes, and leaves the upload alone", async () => {
    const victim = await createUpload(alice);
    await putParts(victim, alice, [randomBytes(1000)]);
    const own = await createUpload(bob);
    // moto ties no upload id to its key: without the recorded id, S3 alone would have answered.
    for (const [method, url, body] of multipartRoutes(
      `/uploads/s3/multipart/${encodeURIComponent(victim.uploadId)}`,
      own.q,
    )) {
      const response = await call(method, url, bob, body);
      expect(response.statusCode, `${method} ${url}`).toBe(404);
      expect(response.json().error.code).toBe('NotFound');
    }
    expect(await isOpen(victim.key, victim.uploadId)).toBe(true);
    expect(await exists(own.key)).toBe(false);
    const listed = (await call('GET', `${victim.base}?${victim.q}`, alice)).json();
    expect(listed.map((p: { PartNumber: number }) => p.PartNumber)).toEqual([1]);
  });

  it("refuses the owner's own upload id of another asset on all five routes", async () => {
    const first = await createUpload(alice);
    const second = await createUpload(alice);
    await putParts(second, alice, [randomBytes(1000)]);
    for (const [method, url, body] of multipartRoutes(second.base, first.q)) {
      const response = await call(method, url, alice, body);
      expect(response.statusCode, `${method} ${url}`).toBe(404);
    }
    expect(await isOpen(second.key, second.uploadId)).toBe(true);
    expect(await isOpen(first.key, first.uploadId)).toBe(true);
  });

  it('refuses every multipart route on an asset uploaded by a single POST (it has no upload id)', async () => {
    const post = (await call('GET', '/uploads/s3/params?filename=a.png&type=image/png', alice)).json();
    const q = `key=${encodeURIComponent(post.key)}`;
    for (const [method, url, body] of multipartRoutes('/uploads/s3/multipart/any-id', q)) {
      expect((await call(method, url, alice, body)).statusCode, `${method} ${url}`).toBe(404);
    }
  });
});

describe('signing and completing only while the asset is PENDING (issue 21, item 2)', () => {
  it('answers 404 on every route but abort once the asset is deleted; its former owner may still abort', async () => {
    const upload = await createUpload(alice);
    const parts = await putParts(upload, alice, [randomBytes(1000)]);
    const deleted = await dataApi.publicApp.inject({
      method: 'DELETE',
      url: `/assets/${upload.assetId}`,
      headers: { authorization: `Bearer ${alice}` },
    });
    expect(deleted.statusCode).toBe(204);
    for (const [method, url, body] of multipartRoutes(upload.base, upload.q)) {
      if (method === 'DELETE') continue;
      const response = await call(method, url, alice, method === 'POST' ? { parts } : body);
      expect(response.statusCode, `${method} ${url}`).toBe(404);
      expect(response.json().error.code).toBe('NotFound');
    }
    expect(await exists(upload.key)).toBe(false);
    // The console deletes a cancelled upload's row, then Uppy aborts: the parts S3 holds are freed.
    expect((await call('DELETE', `${upload.base}?${upload.q}`, bob)).statusCode).toBe(404);
    expect((await call('DELETE', `${upload.base}?${upload.q}`, alice)).statusCode).toBe(200);
    const open = await s3.send(new ListMultipartUploadsCommand({ Bucket, Prefix: upload.key }));
    expect(open.Uploads ?? []).toEqual([]);
  });

  it('refuses to sign parts past PENDING (409) and answers a repeated complete without joining anything', async () => {
    const upload = await createUpload(alice);
    const parts = await putParts(upload, alice, [randomBytes(1000)]);
    const done = await call('POST', `${upload.base}/complete?${upload.q}`, alice, { parts });
    expect(done.statusCode).toBe(200);
    // What the Object Created event does next.
    await dataApi.deps.assets.moveStatus(upload.assetId, { status: 'UPLOADED' });
    for (const url of [`${upload.base}/2?${upload.q}`, `${upload.base}/batch?${upload.q}&partNumbers=2`]) {
      const refused = await call('GET', url, alice);
      expect(refused.statusCode, url).toBe(409);
      expect(refused.json().error).toMatchObject({
        code: 'InvalidState',
        message: expect.stringContaining('UPLOADED'),
      });
    }
    const again = await call('POST', `${upload.base}/complete?${upload.q}`, alice, { parts });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(done.json());
  });
});

describe('complete joins exactly the parts it checked (issue 21, item 3)', () => {
  const part = randomBytes(5 * 1024 * 1024);
  const tail = randomBytes(1000);

  it('refuses a repeated, unordered or missing part number with a 400 naming it, before S3 joins anything', async () => {
    const upload = await createUpload(alice, {
      filename: 'p.pdf',
      type: 'application/pdf',
      size: part.length + tail.length,
    });
    const [one, two] = (await putParts(upload, alice, [part, tail])) as [
      { PartNumber: number; ETag: string },
      { PartNumber: number; ETag: string },
    ];
    const complete = (parts: object[]) =>
      call('POST', `${upload.base}/complete?${upload.q}`, alice, { parts });
    // The Set-based sum saw 1 and 2 (the declared size), and moto joined part 1 twice.
    const repeated = await complete([one, one, two]);
    expect(repeated.statusCode).toBe(400);
    expect(repeated.json().error).toMatchObject({
      code: 'ValidationError',
      message: 'Part 1 is named twice',
      details: [{ path: 'body/parts/1/PartNumber' }],
    });
    const unordered = await complete([two, one]);
    expect(unordered.statusCode).toBe(400);
    expect(unordered.json().error.message).toContain('ascending order');
    const missing = await complete([one, two, { PartNumber: 3, ETag: two.ETag }]);
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.message).toBe('Part 3 was not uploaded');
    expect(await exists(upload.key)).toBe(false);
    expect(await isOpen(upload.key, upload.uploadId)).toBe(true);
    expect((await complete([one, two])).statusCode).toBe(200);
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: upload.key }));
    expect(head.ContentLength).toBe(part.length + tail.length);
  });
});

describe('declared sizes (issue 21, item 8; issue 22, defect 6)', () => {
  const params = (query: string) =>
    call('GET', `/uploads/s3/params?filename=a.png&type=image/png&${query}`, alice);

  it('refuses a declared size that is negative, not a whole number or past 2^53 - 1, naming the field', async () => {
    const cases: [query: string, field: string][] = [
      ['metadata[size]=-1', 'querystring/metadata[size]'],
      ['metadata[size]=1.5', 'querystring/metadata[size]'],
      ['metadata[size]=1e3', 'querystring/metadata[size]'],
      ['metadata[size]=abc', 'querystring/metadata[size]'],
      ['metadata[size]=', 'querystring/metadata[size]'],
      ['metadata[size]=9007199254740992', 'querystring/metadata[size]'],
      ['metadata[size]=99999999999999999999', 'querystring/metadata[size]'],
      ['size=9007199254740993', 'querystring/size'],
      ['size=10&metadata[size]=-1', 'querystring/metadata[size]'],
    ];
    for (const [query, field] of cases) {
      const response = await params(query);
      expect(response.statusCode, query).toBe(400);
      expect(response.json().error, query).toMatchObject({
        code: 'ValidationError',
        details: [{ path: field }],
      });
    }
    for (const [body, field] of [
      [{ size: 2 ** 60 }, 'body/size'],
      [{ metadata: { size: 2 ** 53 } }, 'body/metadata/size'],
    ] as const) {
      const response = await call('POST', '/uploads/s3/multipart', alice, {
        filename: 'a.pdf',
        type: 'application/pdf',
        ...body,
      });
      expect(response.statusCode, field).toBe(400);
      expect(response.json().error.details[0].path, field).toBe(field);
    }
  });

  it("takes Uppy's metadata[size] as the declared size", async () => {
    const post = (await params('metadata[size]=77')).json();
    const policy = JSON.parse(Buffer.from(post.fields.Policy, 'base64').toString('utf8'));
    expect(policy.conditions).toContainEqual(['content-length-range', 77, 77]);
  });

  it('refuses an empty declared size for every type that cannot be empty; an empty text file is signed', async () => {
    for (const type of ['image/png', 'image/jpeg', 'application/pdf']) {
      const single = await call('GET', `/uploads/s3/params?filename=a&type=${type}&size=0`, alice);
      expect(single.statusCode, type).toBe(400);
      expect(single.json().error.details, type).toEqual([
        { path: 'querystring/size', message: expect.stringContaining('cannot be empty') },
      ]);
      const multipart = await call('POST', '/uploads/s3/multipart', alice, {
        filename: 'a',
        type,
        metadata: { size: 0 },
      });
      expect(multipart.statusCode, type).toBe(400);
      expect(multipart.json().error.details[0].path).toBe('body/metadata/size');
    }
    const text = await call(
      'GET',
      '/uploads/s3/params?filename=empty.txt&type=text/plain&metadata[size]=0',
      alice,
    );
    expect(text.statusCode).toBe(200);
    const policy = JSON.parse(Buffer.from(text.json().fields.Policy, 'base64').toString('utf8'));
    expect(policy.conditions).toContainEqual(['content-length-range', 0, 0]);
  });
});

describe('batch sign', () => {
  it(`signs up to ${maxBatchParts} parts at once (what Uppy asks for at most) and refuses more, naming the field`, async () => {
    const upload = await createUpload(alice);
    const numbers = Array.from({ length: maxBatchParts + 1 }, (_, i) => i + 1);
    const most = await call(
      'GET',
      `${upload.base}/batch?${upload.q}&partNumbers=${numbers.slice(0, -1).join(',')}`,
      alice,
    );
    expect(Object.keys(most.json().presignedUrls)).toHaveLength(maxBatchParts);
    const over = await call(
      'GET',
      `${upload.base}/batch?${upload.q}&partNumbers=${numbers.join(',')}`,
      alice,
    );
    expect(over.statusCode).toBe(400);
    // The schema carries the cap, so the OpenAPI document (and a fuzzer) know it.
    expect(over.json().error).toMatchObject({
      code: 'ValidationError',
      details: [{ path: 'querystring/partNumbers' }],
    });
  });
});

const rateLimit = 10;
const openLimit = 3;
/** A second service whose data API has low per-user limits, so reaching them takes a few calls. */
const limited = await startUploadService({ RATE_LIMIT_PER_MINUTE: rateLimit, MAX_OPEN_UPLOADS: openLimit });

describe('per-user limits on the upload routes (issue 21, item 8)', () => {
  const as = async (user: string) => {
    const token = await mintUserToken(secret, user);
    return (method: 'GET' | 'POST' | 'DELETE', url: string, body?: object) =>
      limited.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${token}` },
        ...(body ? { payload: body } : {}),
      });
  };

  it("counts every upload route against the user's per-minute limit in the error shape (429 with retry-after)", async () => {
    const user = `rate-${randomBytes(4).toString('hex')}`;
    const send = await as(user);
    const created = await send('POST', '/uploads/s3/multipart', {
      filename: 'a.pdf',
      type: 'application/pdf',
    });
    const { uploadId, key } = created.json();
    const signUrl = `/uploads/s3/multipart/${encodeURIComponent(uploadId)}/1?key=${encodeURIComponent(key)}`;
    const statuses = [];
    for (let i = 1; i < rateLimit; i++) statuses.push((await send('GET', signUrl)).statusCode);
    expect(statuses).toEqual(Array(rateLimit - 1).fill(200));
    for (const [method, url] of [
      ['GET', signUrl],
      ['GET', '/uploads/s3/params?filename=a.png&type=image/png'],
    ] as const) {
      const refused = await send(method, url);
      expect(refused.statusCode, url).toBe(429);
      expect(refused.json().error.code).toBe('TooManyRequests');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    }
    // Another user's budget is their own.
    expect(
      (await (await as(`${user}-other`))('GET', '/uploads/s3/params?filename=a.png&type=image/png'))
        .statusCode,
    ).toBe(200);
  });

  it(`refuses a user's upload past ${openLimit} open ones (409); an aborted one is not open any more`, async () => {
    const send = await as(`open-${randomBytes(4).toString('hex')}`);
    const sign = () => send('GET', '/uploads/s3/params?filename=a.png&type=image/png');
    const pdf = { filename: 'a.pdf', type: 'application/pdf' };
    for (let i = 1; i < openLimit; i++) expect((await sign()).statusCode).toBe(200);
    const created = await send('POST', '/uploads/s3/multipart', pdf);
    const { key, uploadId, assetId } = created.json();
    const refused = await sign();
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({
      code: 'Conflict',
      message: expect.stringContaining(`${openLimit} uploads are open`),
    });
    expect((await send('POST', '/uploads/s3/multipart', pdf)).statusCode).toBe(409);
    const aborted = await send(
      'DELETE',
      `/uploads/s3/multipart/${encodeURIComponent(uploadId)}?key=${encodeURIComponent(key)}`,
    );
    expect(aborted.json()).toEqual({ assetId });
    expect((await sign()).statusCode).toBe(200);
    expect((await sign()).statusCode).toBe(409);
  });
});

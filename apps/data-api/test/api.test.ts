import { HeadObjectCommand, ListObjectVersionsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '@stateless/aws';
import { Asset, createDataApiInternalClient, DataApiError, ErrorBody } from '@stateless/contracts';
import Value from 'typebox/value';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Cache } from '../src/lib/cache.ts';
import { Metrics } from '../src/lib/metrics.ts';
import {
  type Instance,
  newAsset,
  serviceToken,
  startInstance,
  testConfig,
  uniqueOwner,
  userToken,
} from './helpers.ts';

const cloud = inject('cloud');
let instance: Instance;
let internal: ReturnType<typeof createDataApiInternalClient>;
const s3 = createS3Client({ region: cloud.region, forcePathStyle: true });

beforeAll(async () => {
  instance = await startInstance(testConfig());
  internal = createDataApiInternalClient({ baseUrl: instance.internalUrl, token: await serviceToken() });
});
afterAll(async () => {
  await instance.close();
  s3.destroy();
});

type Method = 'GET' | 'PATCH' | 'DELETE' | 'POST' | 'PUT';
const api = (
  method: Method,
  url: string,
  token?: string,
  extra: { payload?: unknown; headers?: Record<string, string> } = {},
) =>
  instance.publicApp.inject({
    method,
    url,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...extra.headers },
    ...(extra.payload !== undefined ? { payload: extra.payload as string } : {}),
  });

/** A user with one READY asset whose original is in S3. */
async function readyAsset(ownerId = uniqueOwner()) {
  const body = newAsset(ownerId, { title: 'First' });
  await internal.createAsset(body);
  const { VersionId: versionId } = await s3.send(
    new PutObjectCommand({ Bucket: cloud.names.assetsBucket, Key: body.originalKey, Body: 'original-bytes' }),
  );
  // As the Object Created event's move does: the version uploaded is the asset's.
  await internal.moveStatus(body.id, { status: 'UPLOADED', ...(versionId ? { versionId } : {}) });
  await internal.moveStatus(body.id, { status: 'PROCESSING' });
  const thumbKey = `thumbnails/${body.id}/small.webp`;
  await s3.send(
    new PutObjectCommand({ Bucket: cloud.names.assetsBucket, Key: thumbKey, Body: 'thumb-bytes' }),
  );
  await internal.recordResults(body.id, {
    size: 14,
    sha256: 'a'.repeat(64),
    width: 640,
    height: 480,
    thumbnails: [
      { name: 'small', key: thumbKey, width: 64, height: 48, contentType: 'image/webp', size: 11 },
    ],
  });
  await internal.moveStatus(body.id, { status: 'READY' });
  return { ownerId, id: body.id, originalKey: body.originalKey, thumbKey, token: await userToken(ownerId) };
}

/** Every version and delete marker the bucket holds under exactly `key`. */
const versionsOf = async (key: string) => {
  const { Versions = [], DeleteMarkers = [] } = await s3.send(
    new ListObjectVersionsCommand({ Bucket: cloud.names.assetsBucket, Prefix: key }),
  );
  return [...Versions, ...DeleteMarkers].filter((entry) => entry.Key === key);
};

const exists = async (key: string) =>
  s3.send(new HeadObjectCommand({ Bucket: cloud.names.assetsBucket, Key: key })).then(
    () => true,
    () => false,
  );

const expectError = (response: { statusCode: number; json(): unknown }, status: number, code?: string) => {
  expect(response.statusCode).toBe(status);
  const body = response.json() as ErrorBody;
  expect(Value.Check(ErrorBody, body)).toBe(true);
  if (code) expect(body.error.code).toBe(code);
  return body;
};

describe('reading and editing', () => {
  it('serves the owner an asset with an ETag, from the cache on the second read, and 304 when unchanged', async () => {
    const { id, token } = await readyAsset();
    const first = await api('GET', `/assets/${id}`, token);
    expect(first.statusCode).toBe(200);
    expect(first.headers['x-cache']).toBe('miss');
    const asset = first.json();
    expect(Value.Check(Asset, asset)).toBe(true);
    expect(asset).toMatchObject({ id, status: 'READY', title: 'First', width: 640, version: 5 });
    expect(first.headers.etag).toBe('"v5"');
    const second = await api('GET', `/assets/${id}`, token);
    expect(second.headers['x-cache']).toBe('hit');
    expect(second.json()).toEqual(asset);
    const notModified = await api('GET', `/assets/${id}`, token, { headers: { 'if-none-match': '"v5"' } });
    expect(notModified.statusCode).toBe(304);
    expect(notModified.body).toBe('');
    const modified = await api('GET', `/assets/${id}`, token, { headers: { 'if-none-match': '"v4"' } });
    expect(modified.statusCode).toBe(200);
  });

  it('edits metadata only with a current If-Match: 428 without, 412 when stale, 200 and a new ETag when current', async () => {
    const { id, token } = await readyAsset();
    const patch = { title: 'Renamed', tags: ['a', 'b'] };
    expectError(await api('PATCH', `/assets/${id}`, token, { payload: patch }), 428, 'PreconditionRequired');
    const stale = expectError(
      await api('PATCH', `/assets/${id}`, token, { payload: patch, headers: { 'if-match': '"v1"' } }),
      412,
      'PreconditionFailed',
    );
    expect(stale.error.message).toMatch(/changed/);
    const ok = await api('PATCH', `/assets/${id}`, token, {
      payload: patch,
      headers: { 'if-match': '"v5"' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers.etag).toBe('"v6"');
    expect(ok.json()).toMatchObject({ title: 'Renamed', tags: ['a', 'b'], version: 6 });
    // The cached copy was invalidated: the next read sees the edit.
    expect((await api('GET', `/assets/${id}`, token)).json()).toMatchObject({ title: 'Renamed', version: 6 });
    // null clears a field; merge-patch content type is accepted; * matches any current version.
    const cleared = await api('PATCH', `/assets/${id}`, token, {
      payload: JSON.stringify({ title: null }),
      headers: { 'if-match': '*', 'content-type': 'application/merge-patch+json' },
    });
    expect(cleared.statusCode).toBe(200);
    expect(cleared.json()).not.toHaveProperty('title');
  });

  it('leaves no stale copy cached when the writer stops between the DynamoDB write and the cache drop', async () => {
    const { id, ownerId, token } = await readyAsset();
    await api('GET', `/assets/${id}`, token); // v5 is cached now
    const { deps } = instance;
    // A writer like any instance's, whose marker outlives it for 300 ms instead of 20 s.
    const writer = new Cache(deps.redisGuard, new Metrics(), deps.log, {
      prefix: deps.config.REDIS_KEY_PREFIX,
      ttlSeconds: 60,
      notFoundTtlSeconds: 5,
      writeWindowMs: 300,
    });
    // The write lands, then the writer never runs again, as if SIGKILLed before its cache step.
    const landed = Promise.withResolvers<void>();
    void writer.write(id, ownerId, async () => {
      await deps.assets.store.updateMetadata(
        id,
        ownerId,
        { title: 'Written' },
        { any: false, versions: [5] },
      );
      landed.resolve();
      return new Promise<never>(() => undefined);
    });
    await landed.promise;
    // Every read sees the write, from DynamoDB: the marker keeps the cache from being filled meanwhile.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const read = await api('GET', `/assets/${id}`, token);
      expect(read.json()).toMatchObject({ title: 'Written', version: 6 });
      expect(read.headers['x-cache']).toBe('miss');
    }
    // Once the marker has expired, the next read caches the stored item again.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await api('GET', `/assets/${id}`, token)).headers['x-cache']).toBe('miss');
    const cached = await api('GET', `/assets/${id}`, token);
    expect(cached.headers['x-cache']).toBe('hit');
    expect(cached.json()).toMatchObject({ title: 'Written', version: 6 });
  });

  it('deletes idempotently: gone from reads and lists at once, objects removed, id never re-created', async () => {
    const { ownerId, id, token, originalKey, thumbKey } = await readyAsset();
    expect((await api('GET', `/assets/${id}`, token)).statusCode).toBe(200); // cached
    expect((await api('GET', '/assets', token)).json().items).toHaveLength(1); // cached first page
    expect((await api('DELETE', `/assets/${id}`, token)).statusCode).toBe(204);
    expectError(await api('GET', `/assets/${id}`, token), 404, 'NotFound');
    expect((await api('GET', '/assets', token)).json().items).toEqual([]);
    expect(await exists(originalKey)).toBe(false);
    expect(await exists(thumbKey)).toBe(false);
    expect((await api('DELETE', `/assets/${id}`, token)).statusCode).toBe(204);
    expectError(
      await api('PATCH', `/assets/${id}`, token, { payload: { title: 'x' }, headers: { 'if-match': '*' } }),
      404,
    );
    // No resurrection through the internal API either.
    const recreate = await internal.createAsset({ id, ownerId, originalKey }).catch((e: DataApiError) => e);
    expect(recreate).toBeInstanceOf(DataApiError);
    expect((recreate as DataApiError).status).toBe(409);
    expect((recreate as DataApiError).code).toBe('AssetDeleted');
    await expect(internal.moveStatus(id, { status: 'PROCESSING' })).rejects.toMatchObject({
      status: 409,
      code: 'AssetDeleted',
    });
    expect((await internal.getAsset(id)).status).toBe('DELETED');
  });

  it('hands out short-lived presigned download URLs that work, for the original and each thumbnail', async () => {
    const { id, token } = await readyAsset();
    const original = await api('GET', `/assets/${id}/download`, token);
    expect(original.statusCode).toBe(200);
    expect(original.headers['cache-control']).toBe('no-store');
    const { url, expiresAt } = original.json();
    expect(url).toContain('X-Amz-Expires=60');
    expect(new Date(expiresAt).getTime()).toBeGreaterThan(Date.now());
    const fetched = await fetch(url);
    expect(fetched.status).toBe(200);
    expect(await fetched.text()).toBe('original-bytes');
    expect(fetched.headers.get('content-disposition')).toContain('photo.png');
    const thumb = await api('GET', `/assets/${id}/thumbnails/small/download`, token);
    expect(await (await fetch(thumb.json().url)).text()).toBe('thumb-bytes');
    expectError(await api('GET', `/assets/${id}/thumbnails/large/download`, token), 404);
    const pending = newAsset(uniqueOwner());
    await internal.createAsset(pending);
    expectError(
      await api('GET', `/assets/${pending.id}/download`, await userToken(pending.ownerId)),
      409,
      'NotUploaded',
    );
  });

  it('serves the version that was uploaded, not a later write to the key; DELETE removes every version', async () => {
    const { id, token, originalKey, thumbKey } = await readyAsset();
    // The presigned POST replayed after READY with other bytes of the same size.
    await s3.send(
      new PutObjectCommand({ Bucket: cloud.names.assetsBucket, Key: originalKey, Body: 'replaced-bytes' }),
    );
    await s3.send(new PutObjectCommand({ Bucket: cloud.names.assetsBucket, Key: thumbKey, Body: 'rerun' }));
    for (const cache of ['miss', 'hit']) {
      const download = await api('GET', `/assets/${id}/download`, token);
      expect([cache, await (await fetch(download.json().url)).text()]).toEqual([cache, 'original-bytes']);
    }
    expect(await versionsOf(originalKey)).toHaveLength(2);
    expect((await api('DELETE', `/assets/${id}`, token)).statusCode).toBe(204);
    // Not even a noncurrent version is left to read by its id, and no delete marker.
    expect(await versionsOf(originalKey)).toEqual([]);
    expect(await versionsOf(thumbKey)).toEqual([]);
  });

  it("signs no URL for a thumbnail name that is only an Object.prototype property (constructor signed 'function Object()')", async () => {
    const { id, token } = await readyAsset();
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
      // Lowercase names reach the route (404); the others are refused by the name's pattern (400).
      const res = await api('GET', `/assets/${id}/thumbnails/${name}/download`, token);
      expect([name, res.statusCode]).toEqual([name, /^[a-z0-9-]+$/.test(name) ? 404 : 400]);
    }
  });

  it('isolates owners: another owner gets 404 everywhere and never sees the asset in a list', async () => {
    const { id, token } = await readyAsset();
    const mallory = await userToken(uniqueOwner('mallory'));
    for (const [method, url] of [
      ['GET', `/assets/${id}`],
      ['GET', `/assets/${id}/download`],
      ['GET', `/assets/${id}/thumbnails/small/download`],
      ['DELETE', `/assets/${id}`],
    ] as const) {
      expectError(await api(method, url, mallory), 404, 'NotFound');
    }
    expectError(
      await api('PATCH', `/assets/${id}`, mallory, {
        payload: { title: 'mine' },
        headers: { 'if-match': '*' },
      }),
      404,
    );
    expect((await api('GET', '/assets', mallory)).json().items).toEqual([]);
    expect((await api('GET', `/assets/${id}`, token)).json()).toMatchObject({ title: 'First', version: 5 });
  });

  it('caches a 404 briefly, and a create makes the id visible at once', async () => {
    const ownerId = uniqueOwner();
    const body = newAsset(ownerId);
    const token = await userToken(ownerId);
    const before = instance.deps.metrics.get('cacheNegativeHits');
    expectError(await api('GET', `/assets/${body.id}`, token), 404);
    expectError(await api('GET', `/assets/${body.id}`, token), 404);
    expect(instance.deps.metrics.get('cacheNegativeHits')).toBe(before + 1);
    await internal.createAsset(body);
    expect((await api('GET', `/assets/${body.id}`, token)).statusCode).toBe(200);
  });

  it('protects a cold hot key from a stampede: concurrent misses read DynamoDB about once', async () => {
    const { id, token } = await readyAsset();
    const reads = instance.deps.metrics.get('dbReads');
    const responses = await Promise.all(Array.from({ length: 40 }, () => api('GET', `/assets/${id}`, token)));
    expect(responses.every((r) => r.statusCode === 200)).toBe(true);
    expect(instance.deps.metrics.get('dbReads') - reads).toBeLessThanOrEqual(2);
    expect(responses.filter((r) => r.headers['x-cache'] === 'coalesced').length).toBeGreaterThan(30);
  });
});

describe('internal routes', () => {
  it('create is idempotent on id and refuses a different record under the same id', async () => {
    const body = newAsset(uniqueOwner());
    const first = await internal.createAsset(body);
    expect(first).toMatchObject({ created: true, asset: { id: body.id, status: 'PENDING', version: 1 } });
    expect(first.asset.expiresAt).toBeGreaterThan(Date.now() / 1000);
    const again = await internal.createAsset(body);
    expect(again).toMatchObject({ created: false, asset: { id: body.id, version: 1 } });
    await expect(internal.createAsset({ ...body, ownerId: uniqueOwner() })).rejects.toMatchObject({
      status: 409,
      code: 'Conflict',
    });
  });

  it('moves status only along legal transitions (409 otherwise) and treats a repeated move as a no-op', async () => {
    const body = newAsset(uniqueOwner());
    await internal.createAsset(body);
    await expect(internal.moveStatus(body.id, { status: 'READY' })).rejects.toMatchObject({
      status: 409,
      code: 'IllegalTransition',
    });
    const uploaded = await internal.moveStatus(body.id, { status: 'UPLOADED' });
    expect(uploaded).toMatchObject({ status: 'UPLOADED', version: 2 });
    expect(uploaded.expiresAt).toBeUndefined(); // no longer an abandoned upload
    expect(await internal.moveStatus(body.id, { status: 'UPLOADED' })).toMatchObject({ version: 2 });
    await internal.moveStatus(body.id, { status: 'PROCESSING' });
    const failed = await internal.moveStatus(body.id, { status: 'FAILED', reason: 'not an image' });
    expect(failed).toMatchObject({ status: 'FAILED', failureReason: 'not an image' });
    await expect(internal.moveStatus(body.id, { status: 'PROCESSING' })).rejects.toMatchObject({
      status: 409,
    });
    await expect(internal.recordResults(body.id, { size: 1 })).rejects.toMatchObject({
      status: 409,
      code: 'InvalidState',
    });
    await expect(internal.moveStatus('no-such-asset-id', { status: 'UPLOADED' })).rejects.toMatchObject({
      status: 404,
    });
  });

  it('a status move by the pipeline is visible to the owner at once (cache invalidated)', async () => {
    const body = newAsset(uniqueOwner());
    await internal.createAsset(body);
    const token = await userToken(body.ownerId);
    expect((await api('GET', `/assets/${body.id}`, token)).json().status).toBe('PENDING');
    await internal.moveStatus(body.id, { status: 'UPLOADED' });
    expect((await api('GET', `/assets/${body.id}`, token)).json().status).toBe('UPLOADED');
  });

  it('records the sniffed type over the declared one and keeps both, for the owner too', async () => {
    const body = newAsset(uniqueOwner(), { contentType: 'image/png' });
    await internal.createAsset(body);
    await internal.moveStatus(body.id, { status: 'UPLOADED' });
    await internal.moveStatus(body.id, { status: 'PROCESSING' });
    const recorded = await internal.recordResults(body.id, {
      contentType: 'application/pdf',
      declaredContentType: 'image/png',
      size: 48,
    });
    expect(recorded).toMatchObject({ contentType: 'application/pdf', declaredContentType: 'image/png' });
    const token = await userToken(body.ownerId);
    const owned = (await api('GET', `/assets/${body.id}`, token)).json();
    expect(Value.Check(Asset, owned)).toBe(true);
    expect(owned).toMatchObject({ contentType: 'application/pdf', declaredContentType: 'image/png' });
    const bad = await instance.internalApp.inject({
      method: 'PUT',
      url: `/internal/assets/${body.id}/results`,
      headers: { authorization: `Bearer ${await serviceToken()}` },
      payload: { declaredContentType: 'not a type' },
    });
    expectError(bad, 400);
    expect((await internal.getAsset(body.id)).declaredContentType).toBe('image/png');
  });

  it('refuse user tokens and anonymous calls, and do not exist on the public listener', async () => {
    const user = await userToken(uniqueOwner());
    for (const token of [user, undefined, 'garbage']) {
      const response = await instance.internalApp.inject({
        method: 'GET',
        url: '/internal/metrics',
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      expectError(response, 401, 'Unauthorized');
    }
    const service = await serviceToken();
    expectError(await api('GET', '/internal/metrics', service), 404);
    expectError(await api('POST', '/internal/assets', service, { payload: newAsset('x') }), 404);
    // And the public routes are not on the internal listener.
    const onInternal = await instance.internalApp.inject({
      method: 'GET',
      url: '/assets',
      headers: { authorization: `Bearer ${user}` },
    });
    expect(onInternal.statusCode).toBe(404);
  });

  it('serve the process metrics', async () => {
    const metrics = await internal.metrics();
    expect(metrics.cacheHits).toBeGreaterThan(0);
    expect(metrics).toHaveProperty('redisDown');
  });
});

describe('bad input: always a 4xx with the error shape, never a write', () => {
  it('rejects malformed, mistyped, unknown, oversized and wrongly typed bodies without changing the asset', async () => {
    const { id, token } = await readyAsset();
    const headers = { 'if-match': '"v5"', 'content-type': 'application/json' };
    const cases: [string, unknown, number, string][] = [
      ['malformed JSON', '{"title":', 400, 'BadRequest'],
      ['wrong type', JSON.stringify({ title: 42 }), 400, 'ValidationError'],
      ['unknown field', JSON.stringify({ title: 'x', ownerId: 'mallory' }), 400, 'ValidationError'],
      ['status is not user metadata', JSON.stringify({ status: 'READY' }), 400, 'ValidationError'],
      ['empty object', '{}', 400, 'ValidationError'],
      ['array body', '[]', 400, 'ValidationError'],
      [
        'too many tags',
        JSON.stringify({ tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }),
        400,
        'ValidationError',
      ],
      ['duplicate tags', JSON.stringify({ tags: ['a', 'a'] }), 400, 'ValidationError'],
      // JSON's escapes carry what UTF-8 cannot: a lone surrogate was stored, then failed every read.
      ['unpaired surrogate title', '{"title":"a\\ud800"}', 400, 'ValidationError'],
      ['unpaired surrogate tag', '{"tags":["\\udc00"]}', 400, 'ValidationError'],
      ['NUL in a title', JSON.stringify({ title: 'a\u0000' }), 400, 'ValidationError'],
      ['bidi override in a description', JSON.stringify({ description: 'a\u202e' }), 400, 'ValidationError'],
      ['oversized body', JSON.stringify({ description: 'x'.repeat(70_000) }), 413, 'PayloadTooLarge'],
    ];
    for (const [name, payload, status, code] of cases) {
      const response = await api('PATCH', `/assets/${id}`, token, { payload, headers });
      expect({ name, status: response.statusCode }).toEqual({ name, status });
      expectError(response, status, code);
    }
    const text = await api('PATCH', `/assets/${id}`, token, {
      payload: 'title=x',
      headers: { 'if-match': '"v5"', 'content-type': 'text/plain' },
    });
    expectError(text, 415);
    const wrongField = await api('PATCH', `/assets/${id}`, token, {
      payload: JSON.stringify({ title: 'ok', extra: 1 }),
      headers,
    });
    expect(expectError(wrongField, 400).error.details?.[0]?.message).toContain('extra');
    const after = await api('GET', `/assets/${id}`, token);
    expect(after.json()).toMatchObject({ title: 'First', version: 5 });
  });

  it('rejects bad ids, limits, cursors, query fields and headers', async () => {
    const { token } = await readyAsset();
    const cases: [Method, string, Record<string, string>, number][] = [
      ['GET', `/assets/${'x'.repeat(65)}`, {}, 400],
      ['GET', '/assets/bad%20id', {}, 400],
      ['GET', '/assets/..%2Fetc', {}, 400],
      ['DELETE', '/assets/-leading-dash', {}, 400],
      ['GET', '/assets?limit=0', {}, 400],
      ['GET', '/assets?limit=101', {}, 400],
      ['GET', '/assets?limit=ten', {}, 400],
      ['GET', '/assets?cursor=forged', {}, 400],
      ['GET', `/assets?cursor=${'c'.repeat(600)}`, {}, 400],
      ['GET', '/assets?owner=someone-else', {}, 400],
      ['GET', '/assets/abc123/thumbnails/BAD_NAME/download', {}, 400],
      ['PATCH', '/assets/abc123', { 'if-match': 'v1', 'content-type': 'application/json' }, 400],
      ['GET', '/assets/abc123', { 'if-none-match': 'not-quoted' }, 400],
    ];
    for (const [method, url, headers, status] of cases) {
      const response = await api(method, url, token, {
        headers,
        ...(method === 'PATCH' ? { payload: JSON.stringify({ title: 'x' }) } : {}),
      });
      expect({ url, status: response.statusCode }).toEqual({ url, status });
      expectError(response, status);
    }
  });

  it('requires a valid bearer token on every public route, with WWW-Authenticate', async () => {
    const owner = uniqueOwner();
    const service = await serviceToken();
    const expired = await userToken(owner, { ttl: -120 });
    for (const authorization of [
      undefined,
      'Bearer',
      'Basic dXNlcjpwdw==',
      `Bearer ${service}`,
      `Bearer ${expired}`,
    ]) {
      const response = await instance.publicApp.inject({
        method: 'GET',
        url: '/assets',
        headers: authorization ? { authorization } : {},
      });
      expectError(response, 401, 'Unauthorized');
      expect(response.headers['www-authenticate']).toBe('Bearer');
    }
  });

  it('rejects bad internal bodies before writing', async () => {
    const service = await serviceToken();
    const post = (payload: unknown) =>
      instance.internalApp.inject({
        method: 'POST',
        url: '/internal/assets',
        headers: { authorization: `Bearer ${service}` },
        payload: payload as string,
      });
    expectError(await post({ ...newAsset('o'), id: 'bad id' }), 400, 'ValidationError');
    expectError(await post({ ...newAsset('o'), status: 'READY' }), 400, 'ValidationError');
    expectError(await post({ id: 'abc' }), 400, 'ValidationError');
    const move = await instance.internalApp.inject({
      method: 'POST',
      url: '/internal/assets/abc/status',
      headers: { authorization: `Bearer ${service}` },
      payload: { status: 'DELETED' },
    });
    expectError(move, 400, 'ValidationError');
  });
});

describe('operations', () => {
  it('echoes the request id from x-request-id or x-amzn-trace-id, in headers and error bodies', async () => {
    const token = await userToken(uniqueOwner());
    const byRequestId = await api('GET', '/assets/nope-1', token, { headers: { 'x-request-id': 'req-42' } });
    expect(byRequestId.headers['x-request-id']).toBe('req-42');
    expect(byRequestId.json().error.requestId).toBe('req-42');
    const byTrace = await api('GET', '/assets', token, { headers: { 'x-amzn-trace-id': 'Root=1-abc-def' } });
    expect(byTrace.headers['x-request-id']).toBe('Root=1-abc-def');
  });

  it('reports readiness of DynamoDB and Redis', async () => {
    const ready = await instance.publicApp.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks).toEqual([
      { name: 'dynamodb', critical: true, ok: true },
      { name: 'redis', critical: false, ok: true },
    ]);
    expect((await instance.internalApp.inject('/healthz')).statusCode).toBe(200);
  });

  it('serves an OpenAPI document of the public routes and the interactive docs', async () => {
    const doc = await instance.publicApp.inject('/docs/assets/json');
    expect(doc.statusCode).toBe(200);
    const openapi = doc.json();
    expect(openapi.openapi).toMatch(/^3\./);
    expect(Object.keys(openapi.paths).sort()).toEqual(
      ['/assets/', '/assets/{id}', '/assets/{id}/download', '/assets/{id}/thumbnails/{name}/download']
        .map((p) => (p === '/assets/' ? '/assets' : p))
        .sort(),
    );
    expect(openapi.paths['/assets/{id}'].patch.requestBody).toBeDefined();
    const ui = await instance.publicApp.inject('/docs/assets/');
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toContain('text/html');
  });
});

describe('rate limits', () => {
  it('answer 429 with Retry-After past the per-user budget, shared by instances through Redis', async () => {
    const config = testConfig({ RATE_LIMIT_PER_MINUTE: 4 });
    const [a, b] = [await startInstance(config, false), await startInstance(config, false)];
    try {
      const token = await userToken(uniqueOwner());
      const get = (i: Instance, t = token) =>
        i.publicApp.inject({ method: 'GET', url: '/assets', headers: { authorization: `Bearer ${t}` } });
      const statuses = [];
      for (const i of [a, b, a, b]) statuses.push((await get(i)).statusCode);
      expect(statuses).toEqual([200, 200, 200, 200]);
      const limited = await get(a);
      expectError(limited, 429, 'TooManyRequests');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect((await get(b)).statusCode).toBe(429);
      // Another user has their own budget.
      expect((await get(a, await userToken(uniqueOwner()))).statusCode).toBe(200);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

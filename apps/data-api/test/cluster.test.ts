import { createDataApiInternalClient } from '@stateless/contracts';
import { startLoadBalancer } from '@stateless/local-cloud/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  type Instance,
  newAsset,
  serviceToken,
  startInstance,
  testConfig,
  uniqueOwner,
  userToken,
} from './helpers.ts';

/** Two interchangeable instances over the same table and Redis, and HAProxy in front (the ALB's stand-in). */
let a: Instance;
let b: Instance;
let lb: Awaited<ReturnType<typeof startLoadBalancer>>;
let service: string;

beforeAll(async () => {
  const config = testConfig();
  [a, b] = [await startInstance(config), await startInstance(config)];
  lb = await startLoadBalancer({
    backends: {
      'data-api': { public: [a.publicUrl, b.publicUrl], internal: [a.internalUrl, b.internalUrl] },
    },
  });
  service = await serviceToken();
});
afterAll(async () => {
  await lb?.stop();
  await Promise.all([a?.close(), b?.close()]);
});

const clientOf = (baseUrl: string) => createDataApiInternalClient({ baseUrl, token: service });

describe('pagination across instances', () => {
  it('walks 260 assets newest first with no gap or duplicate, even while new ones arrive', async () => {
    const ownerId = uniqueOwner();
    const token = await userToken(ownerId);
    const internal = clientOf(a.internalUrl);
    const created: { id: string; key: string }[] = [];
    for (let batch = 0; batch < 13; batch++) {
      const results = await Promise.all(
        Array.from({ length: 20 }, () => internal.createAsset(newAsset(ownerId))),
      );
      for (const { asset } of results) created.push({ id: asset.id, key: `${asset.createdAt}#${asset.id}` });
    }
    const expected = created.sort((x, y) => (x.key < y.key ? 1 : -1)).map((c) => c.id);

    const seen: string[] = [];
    let cursor: string | undefined;
    let page = 0;
    do {
      // Alternate instances: a cursor made by one is valid on the other.
      const instance = page % 2 === 0 ? a : b;
      const limit = page === 0 ? 100 : 37;
      const query = `?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const response = await call(instance.publicUrl, 'GET', `/assets${query}`, { token });
      expect(response.status).toBe(200);
      expect(response.json.items.length).toBeLessThanOrEqual(limit);
      seen.push(...response.json.items.map((item: { id: string }) => item.id));
      cursor = response.json.nextCursor;
      if (page === 2) {
        // New uploads during the walk are newer than the cursor: they do not shift later pages.
        await Promise.all(Array.from({ length: 5 }, () => internal.createAsset(newAsset(ownerId))));
      }
      page++;
    } while (cursor);
    expect(seen).toHaveLength(260);
    expect(new Set(seen).size).toBe(260);
    expect(seen).toEqual(expected);

    // The first page reflects the new uploads at once (the cached first page was invalidated).
    const first = await call(b.publicUrl, 'GET', '/assets?limit=5', { token });
    expect(first.json.items.map((i: { id: string }) => i.id)).not.toContain(expected[0]);
  });

  it('refuses a cursor of another owner with 400 instead of showing their assets', async () => {
    const alice = uniqueOwner('alice');
    const internal = clientOf(a.internalUrl);
    await Promise.all(Array.from({ length: 3 }, () => internal.createAsset(newAsset(alice))));
    const aliceToken = await userToken(alice);
    const { json } = await call(a.publicUrl, 'GET', '/assets?limit=1', { token: aliceToken });
    expect(json.nextCursor).toBeDefined();
    const bob = await userToken(uniqueOwner('bob'));
    const stolen = await call(b.publicUrl, 'GET', `/assets?cursor=${encodeURIComponent(json.nextCursor)}`, {
      token: bob,
    });
    expect(stolen.status).toBe(400);
    expect(stolen.json.error.code).toBe('InvalidCursor');
  });
});

describe('concurrency and cache coherence', () => {
  it('lets exactly one of two concurrent PATCHes with the same ETag win', async () => {
    const ownerId = uniqueOwner();
    const token = await userToken(ownerId);
    const body = newAsset(ownerId);
    await clientOf(b.internalUrl).createAsset(body);
    for (let round = 0; round < 5; round++) {
      const current = await call(a.publicUrl, 'GET', `/assets/${body.id}`, { token });
      const etag = current.headers.get('etag') as string;
      const results = await Promise.all(
        [a, b].map((instance, i) =>
          call(instance.publicUrl, 'PATCH', `/assets/${body.id}`, {
            token,
            body: { title: `round ${round} writer ${i}` },
            headers: { 'if-match': etag },
          }),
        ),
      );
      expect(results.map((r) => r.status).sort()).toEqual([200, 412]);
      const winner = results.find((r) => r.status === 200);
      const after = await call(b.publicUrl, 'GET', `/assets/${body.id}`, { token });
      expect(after.json.title).toBe(winner?.json.title);
      expect(after.json.version).toBe(current.json.version + 1);
    }
  });

  it('makes a write through one instance visible on the next read through the other', async () => {
    const ownerId = uniqueOwner();
    const token = await userToken(ownerId);
    const body = newAsset(ownerId, { title: 'before' });
    await clientOf(a.internalUrl).createAsset(body);
    // Warm B's view (shared cache) of the item and the list.
    await call(b.publicUrl, 'GET', `/assets/${body.id}`, { token });
    const warm = await call(b.publicUrl, 'GET', `/assets/${body.id}`, { token });
    expect(warm.headers.get('x-cache')).toBe('hit');
    await call(b.publicUrl, 'GET', '/assets', { token });

    const patched = await call(a.publicUrl, 'PATCH', `/assets/${body.id}`, {
      token,
      body: { title: 'after' },
      headers: { 'if-match': warm.headers.get('etag') as string },
    });
    expect(patched.status).toBe(200);
    const read = await call(b.publicUrl, 'GET', `/assets/${body.id}`, { token });
    expect(read.json.title).toBe('after');
    expect(read.headers.get('etag')).toBe(patched.headers.get('etag'));
    expect((await call(b.publicUrl, 'GET', '/assets', { token })).json.items[0].title).toBe('after');

    // A status move by the pipeline through A's internal listener, seen through B.
    await clientOf(a.internalUrl).moveStatus(body.id, { status: 'UPLOADED' });
    expect((await call(b.publicUrl, 'GET', `/assets/${body.id}`, { token })).json.status).toBe('UPLOADED');

    expect((await call(a.publicUrl, 'DELETE', `/assets/${body.id}`, { token })).status).toBe(204);
    expect((await call(b.publicUrl, 'GET', `/assets/${body.id}`, { token })).status).toBe(404);
    expect((await call(b.publicUrl, 'GET', '/assets', { token })).json.items).toEqual([]);
  });
});

describe('through the load balancer', () => {
  it('routes the public API and hides the internal routes from the public entry', async () => {
    const ownerId = uniqueOwner();
    const token = await userToken(ownerId);
    const body = newAsset(ownerId);
    const viaInternalEntry = clientOf(lb.internal);
    expect((await viaInternalEntry.createAsset(body)).created).toBe(true);
    const got = await call(lb.public, 'GET', `/assets/${body.id}`, { token });
    expect(got.status).toBe(200);
    expect(got.json.id).toBe(body.id);
    expect((await call(lb.public, 'GET', '/docs/assets/json')).status).toBe(200);

    for (const path of ['/internal/metrics', '/internal/assets', `/internal/assets/${body.id}`]) {
      const response = await call(lb.public, 'GET', path, { token: service });
      expect(response.status).toBe(404);
    }
    const post = await call(lb.public, 'POST', '/internal/assets', {
      token: service,
      body: newAsset(ownerId),
    });
    expect(post.status).toBe(404);

    // On the internal entry a user token is refused; a service token works.
    const withUserToken = await call(lb.internal, 'GET', `/internal/assets/${body.id}`, { token });
    expect(withUserToken.status).toBe(401);
    expect((await call(lb.internal, 'GET', `/internal/assets/${body.id}`, { token: service })).status).toBe(
      200,
    );
    // And the public routes are not served by the internal entry.
    expect((await call(lb.internal, 'GET', '/assets', { token })).status).toBe(404);
  });

  it('passes the request id through to the instance that answers', async () => {
    const token = await userToken(uniqueOwner());
    const response = await call(lb.public, 'GET', '/assets', {
      token,
      headers: { 'x-request-id': 'trace-me-1' },
    });
    expect(response.headers.get('x-request-id')).toBe('trace-me-1');
  });
});

import { createRedisClient } from '@stateless/aws';
import { createDataApiInternalClient } from '@stateless/contracts';
import { startRedis } from '@stateless/local-cloud/testing';
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

/** Two instances on a private Redis that this file stops, slows and restarts. */
let redis: Awaited<ReturnType<typeof startRedis>>;
let a: Instance;
let b: Instance;

beforeAll(async () => {
  redis = await startRedis();
  const config = testConfig({ REDIS_URL: redis.url, RATE_LIMIT_PER_MINUTE: 1_000 });
  [a, b] = [await startInstance(config), await startInstance(config)];
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await redis?.stop();
});

const waitFor = async (what: string, condition: () => Promise<boolean>, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
};

const timed = async <T>(fn: () => Promise<T>) => {
  const started = performance.now();
  const result = await fn();
  return { result, ms: performance.now() - started };
};

describe('Redis stopped mid-test', () => {
  it('keeps serving correct data from DynamoDB, stays ready, and recovers by itself', async () => {
    const ownerId = uniqueOwner();
    const token = await userToken(ownerId);
    const body = newAsset(ownerId, { title: 'v1' });
    const internal = createDataApiInternalClient({ baseUrl: a.internalUrl, token: await serviceToken() });
    await internal.createAsset(body);
    await call(b.publicUrl, 'GET', `/assets/${body.id}`, { token });
    const cached = await call(b.publicUrl, 'GET', `/assets/${body.id}`, { token });
    expect(cached.headers.get('x-cache')).toBe('hit');

    const downBefore = a.deps.metrics.get('redisDown') + b.deps.metrics.get('redisDown');
    await redis.stop();

    // Reads and writes still succeed, quickly, through both instances.
    const read = await timed(() => call(a.publicUrl, 'GET', `/assets/${body.id}`, { token }));
    expect(read.result.status).toBe(200);
    expect(read.ms).toBeLessThan(1_000);
    const patched = await call(b.publicUrl, 'PATCH', `/assets/${body.id}`, {
      token,
      body: { title: 'v2' },
      headers: { 'if-match': cached.headers.get('etag') as string },
    });
    expect(patched.status).toBe(200);
    const afterWrite = await call(a.publicUrl, 'GET', `/assets/${body.id}`, { token });
    expect(afterWrite.json.title).toBe('v2');
    expect(afterWrite.headers.get('x-cache')).toBe('bypass');
    expect((await call(b.publicUrl, 'GET', '/assets', { token })).json.items[0].title).toBe('v2');
    const other = newAsset(ownerId);
    expect((await internal.createAsset(other)).created).toBe(true);
    expect((await call(b.publicUrl, 'GET', `/assets/${other.id}`, { token })).status).toBe(200);

    // Ready (the cache is not critical), with Redis reported down; counted once per outage, not per request.
    const ready = await call(a.publicUrl, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.json.checks).toContainEqual(expect.objectContaining({ name: 'redis', ok: false }));
    expect(ready.json.checks).toContainEqual(expect.objectContaining({ name: 'dynamodb', ok: true }));
    const downAfter = a.deps.metrics.get('redisDown') + b.deps.metrics.get('redisDown');
    expect(downAfter - downBefore).toBe(2); // one outage per instance
    expect(a.deps.metrics.get('cacheBypassed')).toBeGreaterThan(0);
    expect(a.deps.metrics.get('rateLimitBypassed')).toBeGreaterThan(0);

    await redis.start();
    await waitFor('redis to be ready again', async () => {
      const response = await call(b.publicUrl, 'GET', '/readyz');
      return response.json.checks.every((c: { ok: boolean }) => c.ok);
    });
    await waitFor('instance A to reconnect', async () => a.deps.redisGuard.allow());
    const miss = await call(a.publicUrl, 'GET', `/assets/${body.id}`, { token });
    expect(miss.headers.get('x-cache')).toBe('miss');
    expect(miss.json.title).toBe('v2');
    const hit = await call(b.publicUrl, 'GET', `/assets/${body.id}`, { token });
    expect(hit.headers.get('x-cache')).toBe('hit');
    expect(hit.json.title).toBe('v2');
  });
});

describe('Redis slow', () => {
  it('bounds each request by the command timeout and still answers from DynamoDB', async () => {
    await waitFor('redis', async () => a.deps.redisGuard.allow() && b.deps.redisGuard.allow());
    const ownerId = uniqueOwner();
    const token = await userToken(ownerId);
    const body = newAsset(ownerId);
    const internal = createDataApiInternalClient({ baseUrl: b.internalUrl, token: await serviceToken() });
    await internal.createAsset(body);

    // A script that keeps the single-threaded server busy for 1.5 s: every command waits behind it.
    const blocker = createRedisClient(redis.url, { commandTimeout: 5_000 });
    await new Promise((resolve) => blocker.once('ready', resolve));
    const busy = blocker
      .eval(
        "local s = redis.call('TIME') local t0 = s[1] * 1000000 + s[2] " +
          "repeat local n = redis.call('TIME') until (n[1] * 1000000 + n[2]) - t0 > 1500000 return 1",
        0,
      )
      .catch((error: Error) => error.message);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const timeoutsBefore = a.deps.metrics.get('cacheErrors') + b.deps.metrics.get('cacheErrors');
    const responses = await Promise.all(
      [a, b, a, b].map((instance) =>
        timed(() => call(instance.publicUrl, 'GET', `/assets/${body.id}`, { token })),
      ),
    );
    for (const { result, ms } of responses) {
      expect(result.status).toBe(200);
      // Rate limit + cache read each time out at 250 ms at worst, then DynamoDB answers.
      expect(ms).toBeLessThan(1_200);
    }
    expect(responses.map((r) => r.result.headers.get('x-cache'))).toContain('bypass');
    expect(await busy).toBe(1);
    blocker.disconnect();
    // The first command to time out opened the guard: the others skipped Redis instead of waiting too.
    const timeouts = a.deps.metrics.get('cacheErrors') + b.deps.metrics.get('cacheErrors') - timeoutsBefore;
    expect(timeouts).toBeLessThanOrEqual(4);
    await waitFor('recovery', async () => a.deps.redisGuard.allow() && b.deps.redisGuard.allow());
    expect((await call(a.publicUrl, 'GET', `/assets/${body.id}`, { token })).status).toBe(200);
  });
});

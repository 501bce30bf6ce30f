import { createDataApiInternalClient } from '@stateless/contracts';
import { startLoadBalancer } from '@stateless/local-cloud/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  newAsset,
  type ServerProcess,
  serviceToken,
  startServerProcess,
  uniqueOwner,
  userToken,
} from './helpers.ts';

/**
 * The mission's claim, tested: any instance can be killed mid-load without a
 * failed request or a lost record. Two server processes behind HAProxy; one is
 * SIGKILLed (no drain, no goodbye) while reads and idempotent creates run.
 */
let servers: ServerProcess[];
let lb: Awaited<ReturnType<typeof startLoadBalancer>>;

beforeAll(async () => {
  // One owner creates 120 PENDING assets: above the default limit of open uploads per user.
  const env = {
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '1000000',
    MAX_OPEN_UPLOADS: '1000',
    REDIS_KEY_PREFIX: 'kill-test:',
  };
  servers = await Promise.all([startServerProcess(env), startServerProcess(env)]);
  lb = await startLoadBalancer({
    backends: {
      'data-api': {
        public: servers.map((s) => s.publicUrl),
        internal: servers.map((s) => s.internalUrl),
      },
    },
  });
});
afterAll(async () => {
  await lb?.stop();
  await Promise.all((servers ?? []).map((server) => server.kill()));
});

describe('an instance killed under load', () => {
  it('costs no failed request and loses no record', { timeout: 90_000 }, async () => {
    const ownerId = uniqueOwner('kill');
    const token = await userToken(ownerId);
    const internal = createDataApiInternalClient({ baseUrl: lb.internal, token: await serviceToken() });
    const seeded = Array.from({ length: 10 }, () => newAsset(ownerId));
    for (const asset of seeded) await internal.createAsset(asset);

    const failures: string[] = [];
    const created: string[] = [];
    let done = 0;
    const total = 600;
    const worker = async (w: number) => {
      for (let i = w; i < total; i += 8) {
        if (i % 5 === 0) {
          // A write: creates are idempotent on id, so a retried one is still a success.
          const asset = newAsset(ownerId);
          const res = await call(lb.internal, 'POST', '/internal/assets', {
            token: await serviceToken(),
            body: asset,
          }).catch((error: Error) => ({ status: 0, text: error.message }));
          if (res.status === 201 || res.status === 200) created.push(asset.id);
          else failures.push(`create ${res.status} ${res.text}`);
        } else {
          const path = i % 3 === 0 ? '/assets?limit=20' : `/assets/${seeded[i % seeded.length]?.id}`;
          const res = await call(lb.public, 'GET', path, { token }).catch((error: Error) => ({
            status: 0,
            text: error.message,
          }));
          if (res.status !== 200) failures.push(`GET ${path} ${res.status} ${res.text}`);
        }
        done++;
      }
    };
    const load = Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
    while (done < total / 4) await new Promise((resolve) => setTimeout(resolve, 5));
    const victim = servers[1];
    const killed = victim?.kill();
    await load;

    await killed;
    expect(victim?.alive()).toBe(false);
    expect(await victim?.exited).toBeNull(); // a signal ended it, not an exit
    expect(failures).toEqual([]);
    expect(done).toBe(total);
    // Every acknowledged create is there, read through the surviving instance.
    for (const id of created) {
      expect((await call(lb.public, 'GET', `/assets/${id}`, { token })).status, id).toBe(200);
    }
    expect(created.length).toBe(total / 5);
  });
});

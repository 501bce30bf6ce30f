import { metricCatalogue } from '@stateless/observability';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { published } from '../src/lib/metrics.ts';
import {
  type Instance,
  newAsset,
  ownStorage,
  serviceToken,
  startInstance,
  testConfig,
  uniqueOwner,
  userToken,
} from './helpers.ts';

interface EmfDocument {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] };
  service: string;
  [metric: string]: unknown;
}

const namespace = `StatelessStack/metrics-test-${process.pid}`;
// Its own table, so the sweep's count is exact whatever other files delete meanwhile.
const storage = ownStorage('metrics');
let instance: Instance;
/** Its bucket does not exist: its DELETEs leave the tombstone flagged for the sweep. */
let broken: Instance;
const lines: string[] = [];

beforeAll(async () => {
  await storage.create();
  broken = await startInstance(
    testConfig({ ...storage.config, ASSETS_BUCKET: storage.missingBucket }),
    false,
  );
  // Publishing is on for this instance only (setup-env turns it off for the others).
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  instance = await startInstance(
    testConfig({ ...storage.config, METRICS_NAMESPACE: namespace, RATE_LIMIT_PER_MINUTE: 3 }),
    false,
  );
  vi.unstubAllEnvs();
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
});
afterAll(async () => {
  vi.restoreAllMocks();
  await Promise.allSettled([instance?.close(), broken?.close()]);
  storage.destroy();
});

/** The EMF documents written so far: what CloudWatch Logs would turn into metrics. */
const documents = () =>
  lines
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfDocument);

const total = (name: string) =>
  documents().reduce((sum, d) => {
    const value = d[name];
    return (
      sum + (Array.isArray(value) ? value.reduce((a: number, b: number) => a + b, 0) : Number(value ?? 0))
    );
  }, 0);

describe('CloudWatch metrics (EMF through Powertools)', () => {
  it('publishes only catalogue names, so the dashboard reads what the code emits', () => {
    const catalogue = Object.keys(metricCatalogue['data-api']);
    expect(catalogue.filter((name) => !Object.values(published).includes(name as never))).toEqual([]);
    expect(Object.values(published).every((name) => catalogue.includes(name))).toBe(true);
  });

  it('writes one EMF line per request with what it counted, in the configured namespace', async () => {
    const ownerId = uniqueOwner();
    const body = newAsset(ownerId);
    const created = await instance.internalApp.inject({
      method: 'POST',
      url: '/internal/assets',
      headers: { authorization: `Bearer ${await serviceToken()}` },
      payload: body,
    });
    expect(created.statusCode).toBe(201);
    const token = await userToken(ownerId);
    const read = () =>
      instance.publicApp.inject({ url: `/assets/${body.id}`, headers: { authorization: `Bearer ${token}` } });
    const statuses = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await read()).statusCode);
    // Three within the limit (one miss, then hits), then two rejected.
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(total('CacheMisses')).toBe(1);
    expect(total('CacheHits')).toBe(2);
    expect(total('RateLimitRejections')).toBe(2);
    for (const document of documents()) {
      expect(document.service).toBe('data-api');
      expect(document._aws.CloudWatchMetrics[0]?.Namespace).toBe(namespace);
    }
  });

  it('counts what a sweep cleaned', async () => {
    const ownerId = uniqueOwner();
    const body = newAsset(ownerId);
    const auth = { authorization: `Bearer ${await serviceToken()}` };
    await instance.internalApp.inject({
      method: 'POST',
      url: '/internal/assets',
      headers: auth,
      payload: body,
    });
    const owner = { authorization: `Bearer ${await userToken(ownerId)}` };
    const deleted = await broken.publicApp.inject({
      method: 'DELETE',
      url: `/assets/${body.id}`,
      headers: owner,
    });
    expect(deleted.statusCode).toBe(204);
    const swept = await instance.internalApp.inject({
      method: 'POST',
      url: '/internal/maintenance/sweep-deleted',
      headers: auth,
      payload: { limit: 100 },
    });
    expect(swept.statusCode).toBe(200);
    expect(swept.json()).toMatchObject({ swept: 1, failed: 0 });
    expect(total('SweepAssetsCleaned')).toBe(1);
  });
});

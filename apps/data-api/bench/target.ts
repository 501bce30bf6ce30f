/**
 * The servers under test, in a process of their own (the load generator runs
 * in the parent): a bare Fastify route, the data API with its cache, and the
 * data API with Redis unreachable (every read from DynamoDB), all with the
 * same Fastify options and log level.
 * Started by run.ts with an IPC channel: target.ts '<json DataApiConfig>'; sends the URLs over IPC.
 */
import { serviceOptions } from '@stateless/http-service';
import Fastify from 'fastify';
import { buildApps, type DataApiConfig } from '../src/app.ts';

const config = JSON.parse(process.argv[2] ?? '{}') as DataApiConfig;
const host = '127.0.0.1';

// The same JSON the data API returns for the hot asset, from a plain route with the same options.
const bare = Fastify(serviceOptions({ logLevel: config.LOG_LEVEL }));
let payload: unknown = {};
bare.put('/payload', async (request) => {
  payload = request.body;
  return { ok: true };
});
bare.get('/bare/assets/:id', async () => payload);

const cached = await buildApps(config);
// Port 9 (discard) on loopback: nothing listens, so Redis is down for this instance.
const uncached = await buildApps({ ...config, REDIS_URL: 'redis://127.0.0.1:9' });

const listen = (app: { listen(o: object): Promise<string> }) => app.listen({ port: 0, host });
const urls = {
  bare: await listen(bare),
  cached: await listen(cached.publicApp),
  cachedInternal: await listen(cached.internalApp),
  uncached: await listen(uncached.publicApp),
};
// Over IPC: stdout carries the servers' logs (sent to /dev/null by the runner, at their real cost).
process.send?.(urls);

const stop = async () => {
  await Promise.allSettled([bare.close(), cached.close(), uncached.close()]);
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());

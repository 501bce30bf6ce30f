import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createVerifier, type Verifier } from '@stateless/auth';
import { createDocumentClient, createRedisClient, createS3Client, type Redis } from '@stateless/aws';
import type { dataApiEnv } from '@stateless/config';
import { serviceOptions } from '@stateless/http-service';
import { AppMetrics } from '@stateless/observability';
import { type Logger, pino } from 'pino';
import type { Static } from 'typebox';
import { AssetsService } from './lib/assets-service.ts';
import { AssetsStore } from './lib/assets-store.ts';
import { Cache } from './lib/cache.ts';
import { type CursorCodec, createCursorCodec } from './lib/cursor.ts';
import { Metrics } from './lib/metrics.ts';
import { ObjectStore } from './lib/object-store.ts';
import { RateLimiter } from './lib/rate-limit.ts';
import { RedisGuard } from './lib/redis-guard.ts';

export type DataApiConfig = Static<typeof dataApiEnv>;

/**
 * What one process shares between its public and internal listeners: the
 * clients, the counters and the domain services built on them. Created once by
 * `createDeps`, handed to both app factories, closed once after both drained.
 */
export interface Deps {
  config: DataApiConfig;
  log: Logger;
  metrics: Metrics;
  documents: DynamoDBDocumentClient;
  s3: S3Client;
  redis: Redis;
  redisGuard: RedisGuard;
  cache: Cache;
  rateLimiter: RateLimiter;
  verifier: Verifier;
  cursors: CursorCodec;
  assets: AssetsService;
  objects: ObjectStore;
}

export function createDeps(config: DataApiConfig): Deps {
  const log = pino({
    ...(serviceOptions({ logLevel: config.LOG_LEVEL }).logger as object),
    name: 'data-api',
  });
  const metrics = new Metrics(new AppMetrics('data-api', config.METRICS_NAMESPACE));
  const documents = createDocumentClient({ region: config.AWS_REGION });
  const s3 = createS3Client({ region: config.AWS_REGION, forcePathStyle: config.S3_FORCE_PATH_STYLE });
  // Auto-pipelining batches the GETs of concurrent requests into one write per tick.
  const redis = createRedisClient(config.REDIS_URL, {
    commandTimeout: config.REDIS_COMMAND_TIMEOUT_MS,
    enableAutoPipelining: true,
  });
  const redisGuard = new RedisGuard(redis, metrics, log);
  const cache = new Cache(redisGuard, metrics, log, {
    prefix: config.REDIS_KEY_PREFIX,
    ttlSeconds: config.CACHE_TTL_SECONDS,
    notFoundTtlSeconds: config.NOT_FOUND_TTL_SECONDS,
  });
  const rateLimiter = new RateLimiter(
    redisGuard,
    metrics,
    config.REDIS_KEY_PREFIX,
    config.RATE_LIMIT_PER_MINUTE,
  );
  const cursors = createCursorCodec(config.CURSOR_SECRET);
  const store = new AssetsStore(documents, config.ASSETS_TABLE, metrics, config.PENDING_TTL_SECONDS);
  const objects = new ObjectStore(s3, config.ASSETS_BUCKET, config.DOWNLOAD_URL_TTL_SECONDS, metrics, log);
  return {
    config,
    log,
    metrics,
    documents,
    s3,
    redis,
    redisGuard,
    cache,
    rateLimiter,
    verifier: createVerifier(config),
    cursors,
    objects,
    assets: new AssetsService(store, cache, cursors, objects, log, metrics),
  };
}

/** Closes the shared clients; call after every app using them has closed. */
export async function closeDeps(deps: Deps): Promise<void> {
  await deps.redis.quit().catch(() => deps.redis.disconnect());
  deps.documents.destroy();
  deps.s3.destroy();
}

import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import type { Metrics } from './metrics.ts';
import type { RedisGuard } from './redis-guard.ts';

const NOT_FOUND = '\u0000nf';
const LEASE = '\u0000lease:';

// Sets the value only if the caller still holds the lease: an invalidation (DEL)
// between the caller's read of DynamoDB and this set kills the lease, so a stale
// value can never be written over a newer write.
const setIfLeaseScript = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if KEYS[2] and redis.call('EXISTS', KEYS[2]) == 1 then redis.call('DEL', KEYS[1]) return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1`;

const releaseLeaseScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

interface CacheRedis extends Redis {
  setIfLease(key: string, guard: string, lease: string, value: string, ttl: number): Promise<number>;
  setIfLease1(key: string, lease: string, value: string, ttl: number): Promise<number>;
  releaseLease(key: string, lease: string): Promise<number>;
}

export interface CacheOptions {
  prefix: string;
  ttlSeconds: number;
  notFoundTtlSeconds: number;
  /** How long a loader may hold a key before others stop waiting for it. */
  leaseMs?: number;
  /** How long readers wait for a concurrent loader before reading DynamoDB themselves. */
  waitMs?: number;
  /** After a write, list pages are not cached for this long (GSI propagation). */
  indexLagMs?: number;
}

export type CacheSource = 'hit' | 'miss' | 'coalesced' | 'bypass';

/**
 * Cache-aside over Redis with leases.
 *
 * - A miss takes a short lease on the key (SET NX) before reading DynamoDB;
 *   concurrent readers of the same key wait briefly for the value instead of
 *   all hitting the table (stampede protection).
 * - Writes invalidate with DEL (which also kills any lease), so a write through
 *   one instance is seen by the next read through any other.
 * - Not-found is cached briefly (NOT_FOUND_TTL_SECONDS).
 * - Any Redis failure degrades to a direct read (RedisGuard), counted and logged.
 */
export class Cache {
  private readonly redis: CacheRedis;
  private readonly pendingInvalidations = new Set<string>();
  private readonly leaseMs: number;
  private readonly waitMs: number;
  private readonly indexLagMs: number;

  constructor(
    private readonly guard: RedisGuard,
    private readonly metrics: Metrics,
    private readonly log: FastifyBaseLogger,
    private readonly options: CacheOptions,
  ) {
    this.redis = guard.redis as CacheRedis;
    if (typeof this.redis.setIfLease !== 'function') {
      this.redis.defineCommand('setIfLease', { numberOfKeys: 2, lua: setIfLeaseScript });
      this.redis.defineCommand('setIfLease1', { numberOfKeys: 1, lua: setIfLeaseScript });
      this.redis.defineCommand('releaseLease', { numberOfKeys: 1, lua: releaseLeaseScript });
    }
    this.leaseMs = options.leaseMs ?? 2_000;
    this.waitMs = options.waitMs ?? 150;
    this.indexLagMs = options.indexLagMs ?? 2_000;
    // Invalidations that failed while Redis was unreachable are replayed when it is back.
    guard.whenReady(() => void this.replayInvalidations());
  }

  assetKey = (id: string) => `${this.options.prefix}v1:asset:${id}`;
  listKey = (ownerId: string) => `${this.options.prefix}v1:list:${encodeURIComponent(ownerId)}`;
  listDirtyKey = (ownerId: string) => `${this.options.prefix}v1:list-dirty:${encodeURIComponent(ownerId)}`;

  /**
   * The cached string for `key`, else `load()`'s (cached for next time).
   * `null` means "does not exist" and is cached for the negative TTL.
   * `guardKey`: while it exists the loaded value is not cached.
   */
  async read(
    key: string,
    load: () => Promise<string | null>,
    guardKey?: string,
  ): Promise<{ value: string | null; source: CacheSource }> {
    if (!this.guard.allow()) {
      this.metrics.inc('cacheBypassed');
      return { value: await load(), source: 'bypass' };
    }
    let lease: string | undefined;
    try {
      const cached = await this.redis.get(key);
      if (cached !== null && !cached.startsWith(LEASE)) return this.hit(cached);
      if (cached === null) {
        const token = `${LEASE}${randomBytes(9).toString('base64url')}`;
        if ((await this.redis.set(key, token, 'PX', this.leaseMs, 'NX')) === 'OK') lease = token;
      }
      if (!lease) {
        // Someone else is loading this key: wait for their value rather than stampede.
        const value = await this.waitForValue(key);
        if (value !== undefined) {
          this.metrics.inc('cacheCoalesced');
          return { value: value === NOT_FOUND ? null : value, source: 'coalesced' };
        }
      }
    } catch (error) {
      this.redisFailed(error);
      this.metrics.inc('cacheBypassed');
      return { value: await load(), source: 'bypass' };
    }
    this.metrics.inc('cacheMisses');
    let value: string | null;
    try {
      value = await load();
    } catch (error) {
      if (lease) void this.redis.releaseLease(key, lease).catch(() => undefined);
      throw error;
    }
    if (lease) {
      const ttl = value === null ? this.options.notFoundTtlSeconds : this.options.ttlSeconds;
      const stored = value ?? NOT_FOUND;
      const set = guardKey
        ? this.redis.setIfLease(key, guardKey, lease, stored, ttl)
        : this.redis.setIfLease1(key, lease, stored, ttl);
      await set.catch((error) => this.redisFailed(error));
    }
    return { value, source: 'miss' };
  }

  private hit(cached: string) {
    if (cached === NOT_FOUND) {
      this.metrics.inc('cacheNegativeHits');
      return { value: null, source: 'hit' as const };
    }
    this.metrics.inc('cacheHits');
    return { value: cached, source: 'hit' as const };
  }

  private async waitForValue(key: string): Promise<string | undefined> {
    const deadline = Date.now() + this.waitMs;
    let delay = 5;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 40);
      const value = await this.redis.get(key);
      if (value !== null && !value.startsWith(LEASE)) return value;
      if (value === null) return undefined; // the loader gave up or an invalidation ran: read ourselves
    }
    return undefined;
  }

  /**
   * Drops the given keys; with `ownerId`, also that owner's cached first page,
   * and marks the owner's list dirty for the index-propagation window.
   */
  async invalidate(keys: string[], ownerId?: string): Promise<void> {
    const all = ownerId ? [...keys, this.listKey(ownerId)] : keys;
    this.metrics.inc('cacheInvalidations');
    if (this.guard.redis.status !== 'ready') {
      this.remember(all, ownerId);
      return;
    }
    try {
      const multi = this.redis.multi().del(...all);
      if (ownerId) multi.set(this.listDirtyKey(ownerId), '1', 'PX', this.indexLagMs);
      const results = await multi.exec();
      const failed = results?.find(([error]) => error);
      if (failed?.[0]) throw failed[0];
    } catch (error) {
      this.remember(all, ownerId);
      this.redisFailed(error);
    }
  }

  private remember(keys: string[], ownerId?: string) {
    this.metrics.inc('cacheInvalidationErrors');
    this.log.warn(
      { event: 'cache.invalidation_failed', keys },
      'cache invalidation deferred until redis is back',
    );
    // Bounded: past the cap the TTL is what limits staleness.
    for (const key of keys) if (this.pendingInvalidations.size < 10_000) this.pendingInvalidations.add(key);
    if (ownerId && this.pendingInvalidations.size < 10_000) {
      this.pendingInvalidations.add(this.listDirtyKey(ownerId));
    }
  }

  private async replayInvalidations() {
    if (this.pendingInvalidations.size === 0) return;
    const keys = [...this.pendingInvalidations];
    this.pendingInvalidations.clear();
    try {
      await this.redis.del(...keys);
      this.log.info(
        { event: 'cache.invalidations_replayed', count: keys.length },
        'replayed cache invalidations',
      );
    } catch (error) {
      for (const key of keys) this.pendingInvalidations.add(key);
      this.redisFailed(error);
    }
  }

  private redisFailed(error: unknown) {
    this.metrics.inc('cacheErrors');
    this.guard.fail(error);
  }
}

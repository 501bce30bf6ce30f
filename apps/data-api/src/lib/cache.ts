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

// Lowers a write marker raised by Cache.write (a counter, so overlapping writes
// of one key each hold it) and drops the key, in one step: a crash between the
// two would leave a value read during the write cached with no marker over it.
const endWriteScript = `
if redis.call('DECR', KEYS[1]) <= 0 then redis.call('DEL', KEYS[1]) end
redis.call('DEL', KEYS[2])
return 1`;

const releaseLeaseScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

interface CacheRedis extends Redis {
  setIfLease(key: string, guard: string, lease: string, value: string, ttl: number): Promise<number>;
  setIfLease1(key: string, lease: string, value: string, ttl: number): Promise<number>;
  releaseLease(key: string, lease: string): Promise<number>;
  endWrite(marker: string, key: string): Promise<number>;
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
  /**
   * How long a write marker outlives a process that died mid-write. Longer than
   * any DynamoDB write can take: the data-api Lambda's timeout is 15 s.
   */
  writeWindowMs?: number;
}

export type CacheSource = 'hit' | 'miss' | 'coalesced' | 'bypass';

/**
 * Cache-aside over Redis with leases.
 *
 * - A miss takes a short lease on the key (SET NX) before reading DynamoDB;
 *   concurrent readers of the same key wait briefly for the value instead of
 *   all hitting the table (stampede protection).
 * - Writes run inside `write()`: the key is dropped (which also kills any
 *   lease) and marked before the DynamoDB write, and dropped again after it, so
 *   a write through one instance is seen by the next read through any other,
 *   even when the writer dies between the table and the cache.
 * - Not-found is cached briefly (NOT_FOUND_TTL_SECONDS).
 * - Any Redis failure degrades to a direct read (RedisGuard), counted and logged.
 */
export class Cache {
  private readonly redis: CacheRedis;
  private readonly pendingInvalidations = new Set<string>();
  private readonly leaseMs: number;
  private readonly waitMs: number;
  private readonly indexLagMs: number;
  private readonly writeWindowMs: number;

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
      this.redis.defineCommand('endWrite', { numberOfKeys: 2, lua: endWriteScript });
    }
    this.leaseMs = options.leaseMs ?? 2_000;
    this.waitMs = options.waitMs ?? 150;
    this.indexLagMs = options.indexLagMs ?? 2_000;
    this.writeWindowMs = options.writeWindowMs ?? 20_000;
    // Invalidations that failed while Redis was unreachable are replayed when it is back.
    guard.whenReady(() => void this.replayInvalidations());
  }

  assetKey = (id: string) => `${this.options.prefix}v1:asset:${id}`;
  listKey = (ownerId: string) => `${this.options.prefix}v1:list:${encodeURIComponent(ownerId)}`;
  writeMarkerKey = (id: string) => `${this.options.prefix}v1:asset-writing:${id}`;
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
   * Runs `write`, a DynamoDB write of asset `id`, so that the cache never keeps
   * a value older than the table. `owner`: whose first page the write changes,
   * known before the write or read from its result.
   *
   * Dropping the key after the write is not enough on its own: a process killed
   * between the two (SIGKILL, a Lambda timeout) would leave the old value cached
   * for its whole TTL. So before the write, one MULTI drops the key and raises
   * its write marker for `writeWindowMs`; while a marker stands, a read loads
   * from DynamoDB but does not cache it (the guard key of setIfLease). After
   * the write one script lowers the marker and drops the key again (a reader
   * may have loaded the old item during the write). A writer that dies in
   * between leaves the marker to expire; the first read after caches the item
   * as stored. With `ownerId` known up front, the owner's first page is marked
   * the same way. Redis being down never fails the write: the drops are
   * replayed once it is back (`remember`).
   */
  async write<T>(
    id: string,
    owner: string | ((result: T) => string | undefined),
    write: () => Promise<T>,
  ): Promise<T> {
    const ownerId = typeof owner === 'string' ? owner : undefined;
    const key = this.assetKey(id);
    const marker = this.writeMarkerKey(id);
    if (this.guard.redis.status === 'ready') {
      try {
        const multi = this.redis.multi().del(key).incr(marker).pexpire(marker, this.writeWindowMs);
        if (ownerId !== undefined) {
          multi.del(this.listKey(ownerId)).set(this.listDirtyKey(ownerId), '1', 'PX', this.writeWindowMs);
        }
        await multi.exec();
      } catch (error) {
        this.remember([key], ownerId);
        this.redisFailed(error);
      }
    }
    let result: T;
    try {
      result = await write();
    } catch (error) {
      await this.endWrite(marker, key); // a refused write changed nothing, but its marker must come down
      throw error;
    }
    await this.endWrite(marker, key, typeof owner === 'string' ? owner : owner(result));
    return result;
  }

  private async endWrite(marker: string, key: string, ownerId?: string) {
    let dropped = false;
    if (this.guard.redis.status === 'ready') {
      try {
        await this.redis.endWrite(marker, key);
        dropped = true;
      } catch (error) {
        this.redisFailed(error);
      }
    }
    // The owner's first page, and the key itself if the script could not run (replayed later).
    if (!dropped || ownerId !== undefined) await this.invalidate(dropped ? [] : [key], ownerId);
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

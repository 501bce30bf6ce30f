import type {
  Asset,
  AssetPage,
  CreateAssetBody,
  MoveStatusBody,
  RecordResultsBody,
  UpdateAssetBody,
} from '@stateless/contracts';
import { PublicError } from '@stateless/contracts';
import type { Logger } from 'pino';
import type { AssetsStore } from './assets-store.ts';
import type { Cache, CacheSource } from './cache.ts';
import { type CachedAsset, decodeCachedAsset, encodeCachedAsset } from './cached-asset.ts';
import type { CursorCodec } from './cursor.ts';
import type { Precondition } from './etag.ts';
import type { Metrics } from './metrics.ts';
import type { ObjectStore } from './object-store.ts';
import { type AssetRecord, isExpired, isLive, objectKeysOf, toPublic } from './record.ts';

/** How many items of an owner's first page are cached; any `limit` up to it is served from the cache. */
export const cachedFirstPage = 100;

type ListEntry = [createdKey: string, expiresAt: number, asset: Asset];
interface CachedList {
  entries: ListEntry[];
  more: boolean;
}

/** How many tombstones a sweep cleans at once. */
const sweepConcurrency = 10;

const notFound = () => new PublicError(404, 'NotFound', 'No such asset');

/** The assets domain: the table behind the shared cache, invalidated on every write. */
export class AssetsService {
  constructor(
    readonly store: AssetsStore,
    private readonly cache: Cache,
    private readonly cursors: CursorCodec,
    private readonly objects: ObjectStore,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {}

  /** An asset of `ownerId` (cache-aside). Another owner's, deleted or unknown: 404. */
  async getOwned(id: string, ownerId: string): Promise<CachedAsset & { source: CacheSource }> {
    const { value, source } = await this.cache.read(
      this.cache.assetKey(id),
      async () => encodeCachedAsset(await this.store.get(id, true)),
      this.cache.writeMarkerKey(id),
    );
    if (value === null) throw notFound();
    const asset = decodeCachedAsset(value);
    if (asset.ownerId !== ownerId || isExpired(asset)) throw notFound();
    return { ...asset, source };
  }

  async list(ownerId: string, limit: number, cursor?: string): Promise<AssetPage> {
    if (cursor !== undefined) {
      const after = this.cursors.decode(ownerId, cursor);
      const { examined, more } = await this.store.listByOwner(ownerId, limit, after);
      return this.page(ownerId, examined.map(toEntry), more);
    }
    const { value } = await this.cache.read(
      this.cache.listKey(ownerId),
      async () => {
        const { examined, more } = await this.store.listByOwner(ownerId, cachedFirstPage);
        return JSON.stringify({ entries: examined.map(toEntry), more } satisfies CachedList);
      },
      this.cache.listDirtyKey(ownerId),
    );
    const cached = JSON.parse(value ?? '{"entries":[],"more":false}') as CachedList;
    return this.page(ownerId, cached.entries.slice(0, limit), cached.entries.length > limit || cached.more);
  }

  private page(ownerId: string, entries: ListEntry[], more: boolean): AssetPage {
    const now = Date.now();
    const items = entries.filter(([, expiresAt]) => !isExpired({ expiresAt: expiresAt || undefined }, now));
    const last = entries.at(-1);
    return {
      items: items.map(([, , asset]) => asset),
      ...(more && last ? { nextCursor: this.cursors.encode(ownerId, last[0]) } : {}),
    };
  }

  async update(id: string, ownerId: string, patch: UpdateAssetBody, expected: Precondition) {
    return this.cache.write(id, ownerId, () => this.store.updateMetadata(id, ownerId, patch, expected));
  }

  /**
   * Tombstone first (the asset is gone from every read once the cache entries
   * are dropped), then the S3 objects. The tombstone write also flags the asset
   * for cleanup (`cleanupPending`, one atomic update); the flag is dropped only
   * after the objects are removed, so an S3 failure or a crash in between leaves
   * it for `sweepDeleted`. Idempotent for the owner (a repeat retries the cleanup).
   */
  async delete(id: string, ownerId: string) {
    const { record, alreadyDeleted } = await this.cache.write(id, ownerId, () =>
      this.store.softDelete(id, ownerId),
    );
    const removed = await this.cleanUp(record);
    this.log.info(
      { event: 'asset.deleted', assetId: id, alreadyDeleted, objectsRemoved: removed },
      'asset deleted',
    );
    return { alreadyDeleted };
  }

  /**
   * Removes the S3 objects of flagged tombstones, oldest deletion first, and
   * drops their flag. Idempotent and safe on several instances at once: each id
   * is re-read consistently (the index lags), deleting gone keys succeeds, and
   * clearing the flag is conditioned only on the item being a tombstone.
   * `remaining`: flagged tombstones are left (beyond this batch, or failed in it).
   */
  async sweepDeleted({ limit }: { limit: number }) {
    const { ids, more } = await this.store.listCleanupPending(limit);
    let swept = 0;
    let failed = 0;
    for (let start = 0; start < ids.length; start += sweepConcurrency) {
      await Promise.all(
        ids.slice(start, start + sweepConcurrency).map(async (id) => {
          try {
            const record = await this.store.get(id, true);
            // Already cleaned by another sweeper or the DELETE itself.
            if (record?.status !== 'DELETED' || record.cleanupPending === undefined) return;
            if (await this.cleanUp(record, true)) swept += 1;
            else failed += 1;
          } catch (error) {
            failed += 1;
            this.log.warn({ event: 'cleanup.sweep_failed', assetId: id, err: error }, 'sweep failed');
          }
        }),
      );
    }
    this.metrics.inc('sweepCleaned', swept);
    this.metrics.inc('sweepFailed', failed);
    if (ids.length > 0) {
      this.log.info(
        { event: 'assets.swept', examined: ids.length, swept, failed, more },
        'deleted assets swept',
      );
    }
    return { swept, failed, remaining: more || failed > 0 };
  }

  /**
   * The objects, then the flag. True when the objects are gone. A failure to
   * drop the flag is logged (the sweep redoes harmless work) unless `strict`.
   */
  private async cleanUp(record: AssetRecord, strict = false): Promise<boolean> {
    const removed = await this.objects.deleteAll(objectKeysOf(record), record.id);
    if (!removed || record.cleanupPending === undefined) return removed;
    try {
      await this.store.clearCleanup(record.id);
    } catch (error) {
      if (strict) throw error;
      this.log.warn(
        { event: 'cleanup.clear_failed', assetId: record.id, err: error },
        'objects removed but the cleanup flag stayed; the sweep will clear it',
      );
    }
    return true;
  }

  async create(body: CreateAssetBody) {
    // A negative entry may exist for this id (someone asked before it existed).
    return this.cache.write(body.id, body.ownerId, () => this.store.create(body));
  }

  /** The whole record for other services: a consistent read, past the cache. */
  async getInternal(id: string): Promise<AssetRecord> {
    const record = await this.store.get(id, true);
    if (!record) throw notFound();
    return record;
  }

  /** An aborted upload's PENDING record expires now (lists and reads drop it at once). */
  async expireUpload(id: string) {
    await this.cache.write(
      id,
      (record) => record?.ownerId,
      () => this.store.expireUpload(id),
    );
  }

  async recordResults(id: string, results: RecordResultsBody) {
    return this.cache.write(
      id,
      (record) => record.ownerId,
      () => this.store.recordResults(id, results),
    );
  }

  async moveStatus(id: string, move: MoveStatusBody) {
    const { record } = await this.cache.write(
      id,
      ({ record }) => record.ownerId,
      () => this.store.moveStatus(id, move),
    );
    return record;
  }
}

const toEntry = (record: AssetRecord): ListEntry => [
  record.createdKey as string,
  isLive(record) ? (record.expiresAt ?? 0) : 1,
  toPublic(record),
];

import { randomUUID } from 'node:crypto';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type AssetStatus,
  type CreateAssetBody,
  type MoveStatusBody,
  PublicError,
  predecessorsOf,
  type RecordResultsBody,
  type UpdateAssetBody,
} from '@stateless/contracts';
import type { Metrics } from './metrics.ts';
import { type AssetRecord, createdKeyOf, isLive } from './record.ts';

export const byOwnerIndex = 'byOwner';
/** Sparse: only tombstones whose S3 objects may still exist (`cleanupPending`, `deletedAt`). */
export const byCleanupIndex = 'byCleanup';
export const cleanupPendingValue = '1';
/** Sparse: only live PENDING records (`ownerId` and `expiresAt`), by expiry. */
export const byOpenUploadIndex = 'byOpenUpload';

const isConditionFailure = (error: unknown) =>
  (error as { name?: string }).name === 'ConditionalCheckFailedException';

const notFound = () => new PublicError(404, 'NotFound', 'No such asset');
const deleted = () => new PublicError(409, 'AssetDeleted', 'The asset has been deleted');

/** A tiny builder for update expressions, so names and values never collide. */
class Update {
  private readonly sets: string[] = [];
  private readonly removes: string[] = [];
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};

  name(attribute: string) {
    const placeholder = `#${attribute}`;
    this.names[placeholder] = attribute;
    return placeholder;
  }

  value(key: string, value: unknown) {
    const placeholder = `:${key}`;
    this.values[placeholder] = value;
    return placeholder;
  }

  set(attribute: string, value: unknown) {
    if (value === undefined) return this;
    this.sets.push(`${this.name(attribute)} = ${this.value(attribute, value)}`);
    return this;
  }

  remove(attribute: string) {
    this.removes.push(this.name(attribute));
    return this;
  }

  /** version + 1 and updatedAt: every write changes the ETag. */
  bump(now: string) {
    this.sets.push(`${this.name('version')} = ${this.name('version')} + ${this.value('one', 1)}`);
    return this.set('updatedAt', now);
  }

  expression() {
    return [
      this.sets.length ? `SET ${this.sets.join(', ')}` : '',
      this.removes.length ? `REMOVE ${this.removes.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' ');
  }
}

/** What a conditional write found: applied (its record), or not (the item as read after it). */
type Outcome = { applied: true; record: AssetRecord } | { applied: false; current: AssetRecord | undefined };

/**
 * The assets table. Every write is conditional: creates on
 * attribute_not_exists(id), user edits on the owner and the expected version,
 * status moves on the legal predecessors, so concurrent writers through any
 * instance can neither lose an update nor resurrect a deleted asset.
 *
 * A conditional write whose reply is lost after DynamoDB applied it is retried
 * by the SDK, and the retry fails its condition (the version moved on, the
 * status changed, the id exists). So every write stores a new `writeId`, and a
 * failed condition is followed by a consistent read: an item holding our own
 * `writeId` means our write was applied, and it is answered as applied, once
 * (a write's condition also refuses an item that already holds its id, so a
 * retry never applies it twice). The limit: if another write lands between our
 * lost reply and that read, ours is reported as refused although it was applied
 * and then replaced.
 */
export class AssetsStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly metrics: Metrics,
    private readonly pendingTtlSeconds: number,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async get(id: string, consistent = false): Promise<AssetRecord | undefined> {
    this.metrics.inc('dbReads');
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.table, Key: { id }, ConsistentRead: consistent }),
    );
    return Item as AssetRecord | undefined;
  }

  /** A cheap call that proves the table answers (readiness). */
  async ping() {
    await this.documents.send(new GetCommand({ TableName: this.table, Key: { id: '__readyz__' } }));
  }

  /**
   * The owner's assets, newest first, strictly after `afterKey`. Reads one item
   * more than asked to know whether a next page exists.
   */
  async listByOwner(ownerId: string, limit: number, afterKey?: string) {
    this.metrics.inc('dbReads');
    const { Items = [] } = await this.documents.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: byOwnerIndex,
        KeyConditionExpression: afterKey ? '#o = :o AND #k < :after' : '#o = :o',
        ExpressionAttributeNames: { '#o': 'ownerId', ...(afterKey ? { '#k': 'createdKey' } : {}) },
        ExpressionAttributeValues: { ':o': ownerId, ...(afterKey ? { ':after': afterKey } : {}) },
        ScanIndexForward: false,
        Limit: limit + 1,
      }),
    );
    const examined = (Items as AssetRecord[]).slice(0, limit);
    return { examined, more: Items.length > limit };
  }

  /**
   * How many of the owner's uploads are open (PENDING, not expired), other than `exceptId`,
   * counting up to `atLeast`: the sparse `byOpenUpload` index holds only live PENDING records,
   * keyed by their expiry, so the query reads the open ones and nothing else.
   */
  async countOpenUploads(ownerId: string, exceptId: string, atLeast: number): Promise<number> {
    let count = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      this.metrics.inc('dbReads');
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: byOpenUploadIndex,
          KeyConditionExpression: '#o = :o AND #e > :now',
          FilterExpression: '#id <> :id',
          ExpressionAttributeNames: { '#o': 'ownerId', '#e': 'expiresAt', '#id': 'id' },
          ExpressionAttributeValues: {
            ':o': ownerId,
            ':now': Math.floor(this.clock().getTime() / 1000),
            ':id': exceptId,
          },
          Select: 'COUNT',
          // One more than needed: `exceptId` may be among them.
          Limit: atLeast + 1,
          ExclusiveStartKey: startKey,
        }),
      );
      count += page.Count ?? 0;
      startKey = page.LastEvaluatedKey;
    } while (startKey && count < atLeast);
    return count;
  }

  /**
   * Ends an upload that will not come (its multipart upload was aborted): a PENDING record
   * expires now, as its TTL would, so it is gone for its owner and no longer an open upload.
   * Anything else (uploaded, deleted, expired already) is left as it is: undefined.
   */
  async expireUpload(id: string): Promise<AssetRecord | undefined> {
    const now = this.clock();
    const seconds = Math.floor(now.getTime() / 1000);
    const update = new Update().bump(now.toISOString()).set('expiresAt', seconds);
    // Not expired yet: a repeat, or a record past its TTL, is left alone.
    const condition = `${update.name('status')} = ${update.value('pending', 'PENDING')} AND ${update.name('expiresAt')} > ${update.value('now', seconds)}`;
    const outcome = await this.updateIf(id, update, condition);
    return outcome.applied ? outcome.record : undefined;
  }

  async create(input: CreateAssetBody): Promise<{ record: AssetRecord; created: boolean }> {
    const now = this.clock();
    const writeId = randomUUID();
    const createdAt = now.toISOString();
    const record: AssetRecord = {
      id: input.id,
      ownerId: input.ownerId,
      createdKey: createdKeyOf(createdAt, input.id),
      status: 'PENDING',
      version: 1,
      createdAt,
      updatedAt: createdAt,
      tags: input.tags ?? [],
      thumbnails: [],
      originalKey: input.originalKey,
      expiresAt: Math.floor(now.getTime() / 1000) + this.pendingTtlSeconds,
      writeId,
      ...(input.title !== undefined ? { title: input.title } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.filename !== undefined ? { filename: input.filename } : {}),
      ...(input.contentType !== undefined ? { contentType: input.contentType } : {}),
      ...(input.size !== undefined ? { size: input.size } : {}),
      ...(input.uploadId !== undefined ? { uploadId: input.uploadId } : {}),
    };
    try {
      this.metrics.inc('dbWrites');
      await this.documents.send(
        new PutCommand({
          TableName: this.table,
          Item: record,
          ConditionExpression: 'attribute_not_exists(#id)',
          ExpressionAttributeNames: { '#id': 'id' },
        }),
      );
      return { record, created: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const outcome = await this.afterFailedCondition(input.id, writeId);
    if (outcome.applied) return { record: outcome.record, created: true };
    // The id exists: a repeated create of the same asset is a success, anything else a conflict.
    const existing = outcome.current;
    if (!existing) throw new PublicError(409, 'Conflict', 'The asset changed concurrently; retry');
    if (existing.status === 'DELETED') throw deleted();
    if (existing.ownerId === input.ownerId && existing.originalKey === input.originalKey) {
      return { record: existing, created: false };
    }
    throw new PublicError(409, 'Conflict', 'The asset id is already used by a different asset');
  }

  /** Owner edit, conditional on the owner and on one of the versions the client has seen. */
  async updateMetadata(
    id: string,
    ownerId: string,
    patch: UpdateAssetBody,
    expected: { any: true } | { any: false; versions: number[] },
  ): Promise<AssetRecord> {
    const update = new Update().bump(this.clock().toISOString());
    for (const field of ['title', 'description', 'tags'] as const) {
      const value = patch[field];
      if (value === null) update.remove(field);
      else update.set(field, value);
    }
    let condition = `${update.name('ownerId')} = ${update.value('owner', ownerId)}`;
    if (!expected.any) {
      if (expected.versions.length === 0) return this.explainFailedEdit(await this.get(id, true), ownerId);
      const list = expected.versions.map((v, i) => update.value(`v${i}`, v)).join(', ');
      condition += ` AND ${update.name('version')} IN (${list})`;
    }
    const outcome = await this.updateIf(id, update, condition);
    if (!outcome.applied) return this.explainFailedEdit(outcome.current, ownerId);
    return outcome.record;
  }

  private explainFailedEdit(current: AssetRecord | undefined, ownerId: string): never {
    if (!current || !isLive(current, this.clock().getTime()) || current.ownerId !== ownerId) throw notFound();
    throw new PublicError(412, 'PreconditionFailed', 'The asset has changed since you read it', {
      headers: { etag: `"v${current.version}"` },
    });
  }

  /**
   * Turns the asset into a tombstone. Returns the tombstone (with the object keys
   * still on it) and whether it was already deleted by this owner (idempotent).
   * The same conditional update sets `cleanupPending`, so a tombstone can never
   * exist without being in the `byCleanup` index until its objects are removed.
   */
  async softDelete(id: string, ownerId: string): Promise<{ record: AssetRecord; alreadyDeleted: boolean }> {
    const now = this.clock().toISOString();
    const update = new Update()
      .bump(now)
      .set('status', 'DELETED')
      .set('deletedAt', now)
      .set('cleanupPending', cleanupPendingValue)
      .set('formerOwnerId', ownerId)
      .remove('ownerId')
      .remove('createdKey')
      .remove('title')
      .remove('description')
      .remove('tags')
      .remove('expiresAt');
    const outcome = await this.updateIf(
      id,
      update,
      `${update.name('ownerId')} = ${update.value('owner', ownerId)}`,
    );
    if (outcome.applied) return { record: outcome.record, alreadyDeleted: false };
    const { current } = outcome;
    if (current?.status === 'DELETED' && current.formerOwnerId === ownerId) {
      return { record: current, alreadyDeleted: true };
    }
    throw notFound();
  }

  /**
   * Tombstones whose objects may still be in S3, oldest deletion first (the
   * sparse index, eventually consistent: callers re-read each id). Reads one
   * more than asked to know whether more remain.
   */
  async listCleanupPending(limit: number): Promise<{ ids: string[]; more: boolean }> {
    this.metrics.inc('dbReads');
    const { Items = [] } = await this.documents.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: byCleanupIndex,
        KeyConditionExpression: '#c = :c',
        ExpressionAttributeNames: { '#c': 'cleanupPending' },
        ExpressionAttributeValues: { ':c': cleanupPendingValue },
        ScanIndexForward: true,
        Limit: limit + 1,
      }),
    );
    const ids = Items.slice(0, limit).map((item) => item.id as string);
    return { ids, more: Items.length > limit };
  }

  /**
   * Drops the cleanup flag once the objects are gone. Conditioned only on the
   * item being a tombstone (whose object keys never change again), so
   * concurrent sweepers both succeed; no version bump (nothing visible changes).
   * Returns false when the item is not a tombstone (nothing written).
   */
  async clearCleanup(id: string): Promise<boolean> {
    try {
      this.metrics.inc('dbWrites');
      await this.documents.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { id },
          UpdateExpression: 'REMOVE #c',
          ConditionExpression: '#s = :deleted',
          ExpressionAttributeNames: { '#c': 'cleanupPending', '#s': 'status' },
          ExpressionAttributeValues: { ':deleted': 'DELETED' },
        }),
      );
      return true;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      this.metrics.inc('dbConflicts');
      return false;
    }
  }

  /** Pipeline results, accepted while the asset is being processed. */
  async recordResults(id: string, results: RecordResultsBody): Promise<AssetRecord> {
    const update = new Update().bump(this.clock().toISOString());
    for (const [field, value] of Object.entries(results)) update.set(field, value);
    const accepting: AssetStatus[] = ['UPLOADED', 'PROCESSING'];
    const condition = `${update.name('status')} IN (${accepting.map((s) => update.value(s, s)).join(', ')})`;
    const outcome = await this.updateIf(id, update, condition);
    if (outcome.applied) return outcome.record;
    const { current } = outcome;
    if (!current) throw notFound();
    if (current.status === 'DELETED') throw deleted();
    throw new PublicError(409, 'InvalidState', `An asset in status ${current.status} takes no results`);
  }

  /** A legal status move, atomically (the condition lists the legal predecessors). */
  async moveStatus(id: string, move: MoveStatusBody): Promise<{ record: AssetRecord; changed: boolean }> {
    const update = new Update().bump(this.clock().toISOString()).set('status', move.status);
    if (move.status === 'UPLOADED') update.remove('expiresAt');
    // Only the move from PENDING writes it, so the first uploaded version stays the asset's.
    if (move.status === 'UPLOADED' && move.versionId) update.set('originalVersionId', move.versionId);
    if (move.status === 'FAILED') update.set('failureReason', move.reason ?? 'processing failed');
    const from = predecessorsOf(move.status).filter((s) => s !== 'DELETED');
    const condition = `${update.name('status')} IN (${from.map((s) => update.value(`from${s}`, s)).join(', ')})`;
    const outcome = await this.updateIf(id, update, condition);
    if (outcome.applied) return { record: outcome.record, changed: true };
    const { current } = outcome;
    if (!current) throw notFound();
    if (current.status === 'DELETED') throw deleted();
    // A retried move that already happened is a success that changes nothing.
    if (current.status === move.status) return { record: current, changed: false };
    throw new PublicError(
      409,
      'IllegalTransition',
      `Cannot move an asset from ${current.status} to ${move.status}`,
    );
  }

  /**
   * Applies `update` where `condition` holds and the item does not already hold this write's
   * id (a retry of an applied write never applies it again): the new record, or the item as
   * read after the condition failed. Either way, a write that was applied says so.
   */
  private async updateIf(id: string, update: Update, condition: string): Promise<Outcome> {
    const writeId = randomUUID();
    update.set('writeId', writeId);
    const writeIdName = update.name('writeId');
    const notYet = `(attribute_not_exists(${writeIdName}) OR ${writeIdName} <> ${update.value('writeId', writeId)})`;
    try {
      this.metrics.inc('dbWrites');
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { id },
          UpdateExpression: update.expression(),
          ConditionExpression: `(${condition}) AND ${notYet}`,
          ExpressionAttributeNames: update.names,
          ExpressionAttributeValues: update.values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { applied: true, record: Attributes as AssetRecord };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    return this.afterFailedCondition(id, writeId);
  }

  /**
   * The item after a write of `writeId` failed its condition, read consistently: holding that
   * id, it is the write applied by an earlier attempt whose reply was lost (the SDK retried);
   * otherwise a real conflict, which the caller explains from the item.
   */
  private async afterFailedCondition(id: string, writeId: string): Promise<Outcome> {
    const current = await this.get(id, true);
    if (current?.writeId === writeId) return { applied: true, record: current };
    this.metrics.inc('dbConflicts');
    return { applied: false, current };
  }
}

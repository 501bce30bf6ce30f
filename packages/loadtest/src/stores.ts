import {
  AbortMultipartUploadCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import {
  BatchGetCommand,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import { createDocumentClient, createDynamoDbClient, createS3Client, createSfnClient } from '@stateless/aws';
import { Redis } from 'ioredis';

/** Where a stack keeps its state: what the invariants read (from a LoadStack or `.local/stack.json`). */
export interface StoresInfo {
  region: string;
  awsEndpoint: string;
  stepFunctionsEndpoint: string;
  table: string;
  bucket: string;
  stateMachineArn: string;
  redisUrl: string;
  redisPrefix: string;
}

/** The fields of a stored asset the invariants look at (the data API's AssetRecord). */
interface StoredAsset {
  id: string;
  ownerId?: string;
  status: string;
  version: number;
  originalKey: string;
  /** The version of the original that was uploaded (none for seeded assets). */
  originalVersionId?: string;
  thumbnails?: { key: string }[];
  deletedAt?: string;
  expiresAt?: number;
}

export interface SeededAsset {
  id: string;
  ownerId: string;
}

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/** Clients on the stack's stores; nothing here can reach real AWS (explicit local endpoints). */
export function openStores(info: StoresInfo) {
  const config = { region: info.region, credentials, endpoint: info.awsEndpoint };
  const dynamodb = createDynamoDbClient({ region: info.region }, config);
  const documents: DynamoDBDocumentClient = createDocumentClient({ region: info.region }, dynamodb);
  const s3: S3Client = createS3Client({ region: info.region, forcePathStyle: true }, config);
  const sfn: SFNClient = createSfnClient(
    { region: info.region },
    { ...config, endpoint: info.stepFunctionsEndpoint },
  );
  const sqs = new SQSClient(config);
  const redis = new Redis(info.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => {}); // down during the Redis scenario on purpose; commands still fail loudly
  return {
    info,
    documents,
    s3,
    sfn,
    sqs,
    redis,
    close() {
      documents.destroy();
      dynamodb.destroy();
      s3.destroy();
      sfn.destroy();
      sqs.destroy();
      redis.disconnect();
    },
  };
}
export type Stores = ReturnType<typeof openStores>;

/**
 * READY assets, written straight to the table with their S3 objects (a tiny
 * original and two thumbnails), so the READY invariant holds for seeded data too.
 * Through the API this would take minutes on moto; the API is what is measured, not seeding.
 */
export async function seedAssets(stores: Stores, owners: string[], perOwner: number, runId: string) {
  const now = Date.now();
  const seeded: SeededAsset[] = [];
  const items = owners.flatMap((ownerId, o) =>
    Array.from({ length: perOwner }, (_, i) => {
      const id = `lt-${runId}-${o}-${String(i).padStart(5, '0')}`;
      const createdAt = new Date(now - i * 1000).toISOString();
      seeded.push({ id, ownerId });
      return {
        id,
        ownerId,
        createdKey: `${createdAt}#${id}`,
        status: 'READY',
        version: 1,
        createdAt,
        updatedAt: createdAt,
        title: `Load test asset ${i}`,
        tags: ['loadtest'],
        filename: `photo-${i}.jpg`,
        contentType: 'image/jpeg',
        size: 5,
        sha256: 'ab'.repeat(32),
        width: 640,
        height: 480,
        // Outside the prefix whose Object Created events start the pipeline (topology's
        // originalsPrefix): a fixture's originals trigger nothing. Under it, each one's event went
        // through the upload function as a no-op, minutes for 2,000 at Lambda's CPU size.
        originalKey: `seeded/${id}`,
        thumbnails: ['small', 'large'].map((name) => ({
          name,
          key: `thumbnails/${id}/${name}.webp`,
          width: 64,
          height: 48,
          contentType: 'image/webp',
          size: 5,
        })),
      };
    }),
  );
  const { table, bucket } = stores.info;
  for (let i = 0; i < items.length; i += 25) {
    const batch = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    const { UnprocessedItems } = await stores.documents.send(
      new BatchWriteCommand({ RequestItems: { [table]: batch } }),
    );
    if (UnprocessedItems && Object.keys(UnprocessedItems).length > 0)
      throw new Error('seeding left items unprocessed');
  }
  const keys = items.flatMap((item) => [item.originalKey, ...item.thumbnails.map((t) => t.key)]);
  await inParallel(keys, 16, (Key) =>
    stores.s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'bytes', ContentType: 'image/webp' })),
  );
  return seeded;
}

async function inParallel<T>(items: T[], width: number, work: (item: T) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

export interface InvariantResult {
  name: string;
  ok: boolean;
  checked: number;
  problems: string[];
}

/** What the run was told was written: asset id → the version its last 2xx answer acknowledged. */
export type Acknowledged = Record<string, number>;

const NOT_FOUND = '\u0000nf';
const LEASE = '\u0000lease:';
const isLive = (a: StoredAsset | undefined, nowMs = Date.now()) =>
  a !== undefined && !a.deletedAt && !(a.expiresAt !== undefined && a.expiresAt * 1000 <= nowMs);

async function scanAll(stores: Stores): Promise<StoredAsset[]> {
  const items: StoredAsset[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await stores.documents.send(
      new ScanCommand({ TableName: stores.info.table, ExclusiveStartKey }),
    );
    items.push(...((page.Items ?? []) as StoredAsset[]));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

async function exists(stores: Stores, Key: string, VersionId?: string) {
  try {
    await stores.s3.send(new HeadObjectCommand({ Bucket: stores.info.bucket, Key, VersionId }));
    return true;
  } catch {
    return false;
  }
}

/**
 * The invariants every scenario ends with, read from the stores themselves (not through the API).
 * `drainMs`: how long executions may take to finish before one still running is a problem.
 */
export async function checkInvariants(
  stores: Stores,
  acknowledged: Acknowledged,
  options: {
    drainMs?: number;
    uploads?: UploadsToCheck;
    /**
     * READY assets (id → version) whose objects an earlier check of this run found: not looked up
     * again while their record is unchanged (a run checks after every phase; 2,000 seeded assets
     * are 6,000 HEADs on moto each time). Filled by every check it is given to.
     */
    verified?: Map<string, number>;
  } = {},
): Promise<InvariantResult[]> {
  const results: InvariantResult[] = [];
  const record = (name: string, checked: number, problems: string[]) =>
    results.push({ name, ok: problems.length === 0, checked, problems: problems.slice(0, 20) });

  const assets = await scanAll(stores);
  const byId = new Map(assets.map((a) => [a.id, a]));

  // Every acknowledged write is stored: the record exists and is at least at the acknowledged version.
  const lost = Object.entries(acknowledged).flatMap(([id, version]) => {
    const stored = byId.get(id);
    if (!stored) return [`${id}: acknowledged v${version}, not in the table`];
    return stored.version < version ? [`${id}: acknowledged v${version}, stored v${stored.version}`] : [];
  });
  record('acknowledged writes are stored', Object.keys(acknowledged).length, lost);

  const ready = assets.filter(
    (a) => a.status === 'READY' && isLive(a) && options.verified?.get(a.id) !== a.version,
  );
  const missing: string[] = [];
  await inParallel(ready, 16, async (asset) => {
    const gone: string[] = [];
    // The original by the version that was uploaded and processed: the one its downloads serve.
    if (!(await exists(stores, asset.originalKey, asset.originalVersionId))) {
      gone.push(`${asset.id}: ${asset.originalKey} (version ${asset.originalVersionId}) missing from S3`);
    }
    for (const key of (asset.thumbnails ?? []).map((t) => t.key)) {
      if (!(await exists(stores, key))) gone.push(`${asset.id}: ${key} missing from S3`);
    }
    if (gone.length === 0) options.verified?.set(asset.id, asset.version);
    missing.push(...gone);
  });
  record(
    `READY assets have their uploaded original and thumbnails in S3${options.verified ? ' (those new or changed since the last check)' : ''}`,
    ready.length,
    missing,
  );

  const uploads = await stores.s3.send(new ListMultipartUploadsCommand({ Bucket: stores.info.bucket }));
  const incomplete = (uploads.Uploads ?? []).map(
    (u) => `${u.Key}: multipart upload ${u.UploadId} not completed`,
  );
  record('no incomplete multipart upload', incomplete.length, incomplete);

  const deadline = Date.now() + (options.drainMs ?? 30_000);
  let running: string[] = [];
  for (;;) {
    const { executions = [] } = await stores.sfn.send(
      new ListExecutionsCommand({ stateMachineArn: stores.info.stateMachineArn, statusFilter: 'RUNNING' }),
    );
    running = executions.map((e) => `${e.name}: still RUNNING after the drain`);
    if (running.length === 0 || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  record('no execution still running after the drain', running.length, running);
  if (options.uploads) {
    for (const [name, checked, problems] of await uploadInvariants(stores, assets, options.uploads))
      record(name, checked, problems);
  }

  record('the cache agrees with DynamoDB for every key it holds', ...(await cacheAgreement(stores)));
  return results;
}

/**
 * Aborts every incomplete multipart upload in the bucket, as the bucket's lifecycle rule does in
 * AWS a day after initiation (infra/src/platform/private-bucket.ts); returns how many there were.
 */
export async function abortIncompleteUploads(stores: Stores) {
  const { Uploads = [] } = await stores.s3.send(
    new ListMultipartUploadsCommand({ Bucket: stores.info.bucket }),
  );
  for (const { Key, UploadId } of Uploads) {
    await stores.s3.send(new AbortMultipartUploadCommand({ Bucket: stores.info.bucket, Key, UploadId }));
  }
  return Uploads.length;
}

/** What the load's uploader was told: the asset ids whose bytes S3 acknowledged. */
export interface UploadsToCheck {
  ownerId: string;
  acknowledged: string[];
  /** Assets the checks skip, for a reason the caller reports (see Dataset.lostToRestart). */
  excluded?: string[];
  /** Assets whose execution the Step Functions server no longer lists (see Dataset.runBeforeRestart). */
  executionsForgotten?: string[];
}

/**
 * The uploader's assets against what it was told. Each acknowledged upload is one READY asset
 * with one execution; any other asset of the uploader is a sign whose answer was lost (the
 * client retried with a new one): PENDING, never given bytes, expiring, never processed.
 */
async function uploadInvariants(
  stores: Stores,
  assets: StoredAsset[],
  uploads: UploadsToCheck,
): Promise<[string, number, string[]][]> {
  const excluded = new Set(uploads.excluded);
  const acknowledged = new Set(uploads.acknowledged.filter((id) => !excluded.has(id)));
  const owned = assets.filter((a) => a.ownerId === uploads.ownerId && !excluded.has(a.id));
  const notReady = [...acknowledged].flatMap((id) => {
    const status = owned.find((a) => a.id === id)?.status;
    return status === 'READY' ? [] : [`${id}: acknowledged by S3, ${status ?? 'not in the table'}`];
  });
  const extra = owned
    .filter((a) => !acknowledged.has(a.id) && !(a.status === 'PENDING' && a.expiresAt !== undefined))
    .map((a) => `${a.id}: ${a.status}, but no upload of it was acknowledged`);
  const executions = new Map<string, number>();
  let nextToken: string | undefined;
  do {
    const page = await stores.sfn.send(
      new ListExecutionsCommand({ stateMachineArn: stores.info.stateMachineArn, nextToken }),
    );
    for (const { name } of page.executions ?? []) {
      if (name && owned.some((a) => a.id === name)) executions.set(name, (executions.get(name) ?? 0) + 1);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  const forgotten = new Set(uploads.executionsForgotten);
  const wrongRuns = owned.flatMap((a) => {
    if (forgotten.has(a.id)) return [];
    const runs = executions.get(a.id) ?? 0;
    const expected = acknowledged.has(a.id) ? 1 : 0;
    return runs === expected ? [] : [`${a.id}: ${runs} executions, expected ${expected}`];
  });
  return [
    ['every upload S3 acknowledged ends READY', acknowledged.size, notReady],
    ['one asset per acknowledged upload (others only PENDING, expiring)', owned.length, extra],
    ['one execution per acknowledged upload, none for any other', owned.length, wrongRuns],
  ];
}

/**
 * Every asset entry in Redis against the table: a cached value must carry the
 * stored version and status, a cached not-found must be an asset that is not live.
 * The value's first line is the data API's cache header, `[ownerId, version, status, …]`
 * (apps/data-api/src/lib/cached-asset.ts).
 */
async function cacheAgreement(stores: Stores): Promise<[number, string[]]> {
  const { redis } = stores;
  if (redis.status === 'wait') await redis.connect();
  const keys: string[] = [];
  const pattern = `${stores.info.redisPrefix}v1:asset:*`;
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  const problems: string[] = [];
  let checked = 0;
  for (let i = 0; i < keys.length; i += 100) {
    const slice = keys.slice(i, i + 100);
    const values = await redis.mget(...slice);
    const ids = slice.map((k) => k.slice(pattern.length - 1));
    const { Responses } = await stores.documents.send(
      new BatchGetCommand({
        RequestItems: { [stores.info.table]: { Keys: [...new Set(ids)].map((id) => ({ id })) } },
      }),
    );
    const stored = new Map(((Responses?.[stores.info.table] ?? []) as StoredAsset[]).map((a) => [a.id, a]));
    ids.forEach((id, j) => {
      const value = values[j];
      if (value == null || value.startsWith(LEASE)) return;
      checked++;
      const asset = stored.get(id);
      if (value === NOT_FOUND) {
        if (isLive(asset)) problems.push(`${id}: cached as not found, live in DynamoDB (v${asset?.version})`);
        return;
      }
      const [, version, status] = JSON.parse(value.slice(0, value.indexOf('\n'))) as [string, number, string];
      if (!asset || !isLive(asset)) problems.push(`${id}: cached v${version}, not live in DynamoDB`);
      else if (asset.version !== version || asset.status !== status)
        problems.push(`${id}: cached v${version} ${status}, DynamoDB v${asset.version} ${asset.status}`);
    });
  }
  return [checked, problems];
}

/** How many asset keys Redis holds now (to show the cache filling again after an outage). */
export async function cachedAssetCount(stores: Stores) {
  const { redis } = stores;
  if (redis.status === 'wait') await redis.connect();
  let count = 0;
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(
      cursor,
      'MATCH',
      `${stores.info.redisPrefix}v1:asset:*`,
      'COUNT',
      1000,
    );
    count += batch.length;
    cursor = next;
  } while (cursor !== '0');
  return count;
}

/**
 * Names and shapes of the stateful resources, written once: infra creates them
 * in AWS and the local cloud creates them at bootstrap from these same objects.
 */
export interface ResourceNames {
  assetsTable: string;
  /**
   * Keys: `originals/<assetId>` (uploads, written only through the upload service's signed
   * requests) and `thumbnails/<assetId>/<name>.webp` (the worker's). Versioned (infra's
   * PrivateBucket, the local cloud's bootstrap): an asset records the version of its original
   * that was uploaded (`originalVersionId`); the pipeline reads and the download serves that
   * version, so a later write to the key (a replayed presigned POST) never changes what was
   * processed. The upload events handler deletes such a later version, and deleting an asset
   * deletes every version of its keys.
   */
  assetsBucket: string;
  assetPipeline: string;
  workerFunction: string;
  /** The upload service's Lambda function (infra names every service `<stage>-<app>`). */
  uploadFunction: string;
  /** S3 "Object Created" events for originals, delivered by an EventBridge rule to this queue. */
  uploadEventsRule: string;
  uploadEventsQueue: string;
  /** Where an event goes after `uploadEvents.maxReceiveCount` failed deliveries. */
  uploadEventsDeadLetterQueue: string;
}

export const resourceNames = (stage: string): ResourceNames => {
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(stage)) {
    throw new Error(`Stage must be lowercase letters, digits and dashes, starting with a letter: ${stage}`);
  }
  return {
    assetsTable: `${stage}-assets`,
    assetsBucket: `${stage}-stateless-assets`,
    assetPipeline: `${stage}-asset-pipeline`,
    workerFunction: `${stage}-workflow-worker`,
    uploadFunction: `${stage}-upload-service`,
    uploadEventsRule: `${stage}-upload-created`,
    uploadEventsQueue: `${stage}-upload-events`,
    uploadEventsDeadLetterQueue: `${stage}-upload-events-dlq`,
  };
};

type KeyType = 'HASH' | 'RANGE';
type AttributeType = 'S' | 'N' | 'B';

/** A subset of DynamoDB's CreateTable input, so it maps 1:1 to both the SDK and Terraform. */
export interface TableDefinition {
  attributes: readonly { name: string; type: AttributeType }[];
  key: readonly { name: string; type: KeyType }[];
  globalIndexes: readonly {
    name: string;
    key: readonly { name: string; type: KeyType }[];
    projection: 'ALL' | 'KEYS_ONLY';
  }[];
  ttlAttribute: string;
}

/**
 * assets: one item per asset, keyed by its id (apps/data-api/README.md has the full design).
 * - get by id: GetItem on `id` (strongly consistent on a cache miss).
 * - list by owner, newest first: Query `byOwner` on `ownerId`, sort key `createdKey`
 *   (`<createdAt ISO>#<id>`, unique and time-ordered), ScanIndexForward=false; the page
 *   cursor is the last `createdKey` (HMAC-signed by the API, bound to the owner).
 * - optimistic concurrency: `version` (+1 on every write); writes are conditional on it,
 *   on `attribute_not_exists(id)` (create) or on the legal predecessor statuses.
 * - deletes are tombstones: status DELETED, `ownerId`/`createdKey` removed (the sparse
 *   index stops listing it), `formerOwnerId` kept; an id can never be created again.
 * - abandoned uploads expire through TTL on `expiresAt` (epoch seconds), set while PENDING
 *   and removed when the upload completes; reads treat a passed `expiresAt` as gone at once.
 * - S3 cleanup of deleted assets: the tombstone write also sets `cleanupPending = "1"`
 *   (with `deletedAt`), which puts it in the sparse `byCleanup` index; it is removed once the
 *   asset's objects are gone. The sweep queries `byCleanup` oldest first (never a Scan) and
 *   reads each tombstone (which keeps the object keys) by id, hence KEYS_ONLY.
 * - a user's open uploads: only a live PENDING record has both `ownerId` and `expiresAt`, so
 *   the sparse `byOpenUpload` index holds exactly those; the data API counts an owner's with
 *   `expiresAt` > now (not expired) before a create (MAX_OPEN_UPLOADS), reading only them.
 */
export const assetsTable: TableDefinition = {
  attributes: [
    { name: 'id', type: 'S' },
    { name: 'ownerId', type: 'S' },
    { name: 'createdKey', type: 'S' },
    { name: 'cleanupPending', type: 'S' },
    { name: 'deletedAt', type: 'S' },
    { name: 'expiresAt', type: 'N' },
  ],
  key: [{ name: 'id', type: 'HASH' }],
  globalIndexes: [
    {
      name: 'byOwner',
      key: [
        { name: 'ownerId', type: 'HASH' },
        { name: 'createdKey', type: 'RANGE' },
      ],
      projection: 'ALL',
    },
    {
      name: 'byCleanup',
      key: [
        { name: 'cleanupPending', type: 'HASH' },
        { name: 'deletedAt', type: 'RANGE' },
      ],
      projection: 'KEYS_ONLY',
    },
    {
      name: 'byOpenUpload',
      key: [
        { name: 'ownerId', type: 'HASH' },
        { name: 'expiresAt', type: 'RANGE' },
      ],
      projection: 'KEYS_ONLY',
    },
  ],
  ttlAttribute: 'expiresAt',
};

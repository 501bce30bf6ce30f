import { ConditionalCheckFailedException, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { CreateReplicationGroupCommand } from '@aws-sdk/client-elasticache';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  NoSuchKey,
  NoSuchUpload,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  createDocumentClient,
  createDynamoDbClient,
  createElastiCacheClient,
  createS3Client,
  discoverRedisUrl,
} from '@stateless/aws';
import { afterAll, describe, expect, inject, it } from 'vitest';

// Clients built exactly as the apps build them: endpoints come only from AWS_ENDPOINT_URL*.
const { names, region } = inject('cloud');
const s3 = createS3Client({ region, forcePathStyle: true });
const dynamodb = createDynamoDbClient({ region });
const documents = createDocumentClient({ region }, dynamodb);
const Bucket = names.assetsBucket;
const TableName = names.assetsTable;
afterAll(() => {
  s3.destroy();
  dynamodb.destroy();
});

const text = (body: { transformToString(): Promise<string> } | undefined) => body?.transformToString();

describe('S3 on the local cloud', () => {
  it('puts and gets an object', async () => {
    await s3.send(
      new PutObjectCommand({ Bucket, Key: 'a/hello.txt', Body: 'hello', ContentType: 'text/plain' }),
    );
    const object = await s3.send(new GetObjectCommand({ Bucket, Key: 'a/hello.txt' }));
    expect(await text(object.Body)).toBe('hello');
    expect(object.ContentType).toBe('text/plain');
    await expect(s3.send(new GetObjectCommand({ Bucket, Key: 'a/missing' }))).rejects.toBeInstanceOf(
      NoSuchKey,
    );
  });

  it('assembles a multipart upload byte for byte', async () => {
    const Key = 'multipart/big.bin';
    const parts = [Buffer.alloc(5 * 1024 * 1024, 1), Buffer.alloc(1024, 2)];
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    const etags = [];
    for (const [i, Body] of parts.entries()) {
      const { ETag } = await s3.send(
        new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: i + 1, Body }),
      );
      etags.push({ ETag, PartNumber: i + 1 });
    }
    await s3.send(
      new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: etags } }),
    );
    const object = await s3.send(new GetObjectCommand({ Bucket, Key }));
    const bytes = Buffer.from((await object.Body?.transformToByteArray()) ?? []);
    expect(bytes.equals(Buffer.concat(parts))).toBe(true);
  });

  it('aborts a multipart upload, leaving nothing behind', async () => {
    const Key = 'multipart/aborted.bin';
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: Buffer.alloc(1024) }));
    await s3.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId }));
    const { Uploads = [] } = await s3.send(new ListMultipartUploadsCommand({ Bucket }));
    expect(Uploads.map((u) => u.UploadId)).not.toContain(UploadId);
    // (moto answers UploadPart on an aborted upload with a 500; ListParts shows the same fact correctly.)
    await expect(s3.send(new ListPartsCommand({ Bucket, Key, UploadId }))).rejects.toBeInstanceOf(
      NoSuchUpload,
    );
    await expect(s3.send(new GetObjectCommand({ Bucket, Key }))).rejects.toBeInstanceOf(NoSuchKey);
  });

  it('serves presigned PUT and GET URLs to a plain HTTP client', async () => {
    const Key = 'presigned/doc.txt';
    const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket, Key }), { expiresIn: 60 });
    const put = await fetch(putUrl, { method: 'PUT', body: 'signed body' });
    expect(put.status).toBe(200);
    const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket, Key }), { expiresIn: 60 });
    const get = await fetch(getUrl);
    expect(await get.text()).toBe('signed body');
    const tampered = await fetch(getUrl.replace('doc.txt', 'other.txt'));
    expect(tampered.status).toBeGreaterThanOrEqual(400);
  });
});

describe('DynamoDB on the local cloud', () => {
  const owner = `owner-${Date.now()}`;
  const lister = `lister-${Date.now()}`;

  it('rejects a duplicate create and a stale update (conditional writes)', async () => {
    const item = { id: `c-${owner}`, ownerId: owner, createdKey: '2026-01-01T00:00:00.000Z#c', version: 1 };
    const create = () =>
      documents.send(
        new PutCommand({ TableName, Item: item, ConditionExpression: 'attribute_not_exists(id)' }),
      );
    await create();
    await expect(create()).rejects.toBeInstanceOf(ConditionalCheckFailedException);

    const bump = () =>
      documents.send(
        new UpdateCommand({
          TableName,
          Key: { id: item.id },
          UpdateExpression: 'SET version = :next',
          ConditionExpression: 'version = :expected',
          ExpressionAttributeValues: { ':expected': 1, ':next': 2 },
        }),
      );
    const results = await Promise.allSettled([bump(), bump()]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const { Item } = await documents.send(new GetCommand({ TableName, Key: { id: item.id } }));
    expect(Item?.version).toBe(2);
  });

  it('applies concurrent conditional writes to one item atomically, as DynamoDB does', async () => {
    // One client per writer, so the requests arrive on separate connections at once;
    // a wide update keeps each write busy long enough for a non-atomic stand-in to interleave.
    const fields = Array.from({ length: 60 }, (_, i) => `field${i} = :writer`).join(', ');
    const writers = Array.from({ length: 8 }, () =>
      createDocumentClient({ region }, createDynamoDbClient({ region })),
    );
    const id = `race-${owner}`;
    await documents.send(new PutCommand({ TableName, Item: { id, ownerId: owner, version: 0 } }));
    try {
      for (let version = 0; version < 50; version++) {
        const results = await Promise.allSettled(
          writers.map((writer, i) =>
            writer.send(
              new UpdateCommand({
                TableName,
                Key: { id },
                UpdateExpression: `SET version = version + :one, ${fields}`,
                ConditionExpression: 'version = :expected',
                ExpressionAttributeValues: { ':expected': version, ':one': 1, ':writer': i },
              }),
            ),
          ),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      }
      const { Item } = await documents.send(new GetCommand({ TableName, Key: { id } }));
      expect(Item?.version).toBe(50);
    } finally {
      for (const writer of writers) writer.destroy();
    }
  });

  it('lists by owner, newest first, through the byOwner index with pagination', async () => {
    const ids = Array.from({ length: 7 }, (_, i) => i);
    for (const i of ids) {
      const createdAt = new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
      await documents.send(
        new PutCommand({
          TableName,
          Item: { id: `q${i}-${lister}`, ownerId: lister, createdKey: `${createdAt}#q${i}` },
        }),
      );
    }
    const seen: string[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await documents.send(
        new QueryCommand({
          TableName,
          IndexName: 'byOwner',
          KeyConditionExpression: 'ownerId = :o',
          ExpressionAttributeValues: { ':o': lister },
          ScanIndexForward: false,
          Limit: 3,
          ExclusiveStartKey,
        }),
      );
      seen.push(...(page.Items ?? []).map((i) => i.id as string));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    expect(seen).toEqual(ids.reverse().map((i) => `q${i}-${lister}`));
  });

  it('has TTL enabled on the table, from the shared definition', async () => {
    const { TimeToLiveDescription } = await dynamodb.send(new DescribeTimeToLiveCommand({ TableName }));
    expect(TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
  });
});

describe('ElastiCache control plane on the local cloud', () => {
  it('discovers a replication group primary endpoint as a Redis URL', async () => {
    const elasticache = createElastiCacheClient({ region });
    const ReplicationGroupId = `rg-${Date.now()}`;
    await elasticache.send(
      new CreateReplicationGroupCommand({
        ReplicationGroupId,
        ReplicationGroupDescription: 'cache',
        Engine: 'redis',
        CacheNodeType: 'cache.t4g.micro',
        NumCacheClusters: 1,
        TransitEncryptionEnabled: true,
      }),
    );
    expect(await discoverRedisUrl(elasticache, ReplicationGroupId)).toMatch(/^rediss:\/\/[^:]+:6379$/);
    await expect(discoverRedisUrl(elasticache, 'no-such-group')).rejects.toThrow();
    elasticache.destroy();
  });
});

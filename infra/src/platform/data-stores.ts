import { DynamodbTable } from '@cdktn/provider-aws/lib/dynamodb-table/index.js';
import type { S3Bucket } from '@cdktn/provider-aws/lib/s3-bucket/index.js';
import { S3BucketNotification } from '@cdktn/provider-aws/lib/s3-bucket-notification/index.js';
import { assetsTable, resourceNames } from '@stateless/topology';
import { Construct } from 'constructs';
import type { Environment } from '../environments.ts';
import { PrivateBucket } from './private-bucket.ts';

const keyOf = (key: typeof assetsTable.key, type: 'HASH' | 'RANGE') => key.find((k) => k.type === type)?.name;
const hashKeyOf = (key: typeof assetsTable.key) => {
  const name = keyOf(key, 'HASH');
  if (name === undefined) throw new Error('A DynamoDB key needs a HASH attribute');
  return name;
};

/**
 * The assets table, exactly as topology defines it, and the assets bucket: private,
 * versioned, access-logged, uploaded to straight from browsers (its CORS is the web
 * stack's: the console's origin), and sending every object event to EventBridge, where the upload trigger's
 * rule picks up new originals.
 */
export class DataStores extends Construct {
  readonly table: DynamodbTable;
  readonly bucket: S3Bucket;

  constructor(scope: Construct, id: string, props: { environment: Environment; accessLogsTo: S3Bucket }) {
    super(scope, id);
    const { environment } = props;
    const names = resourceNames(environment.stage);
    this.table = new DynamodbTable(this, 'assets-table', {
      name: names.assetsTable,
      billingMode: 'PAY_PER_REQUEST',
      hashKey: hashKeyOf(assetsTable.key),
      rangeKey: keyOf(assetsTable.key, 'RANGE'),
      attribute: assetsTable.attributes.map((a) => ({ name: a.name, type: a.type })),
      globalSecondaryIndex: assetsTable.globalIndexes.map((index) => ({
        name: index.name,
        hashKey: hashKeyOf(index.key),
        rangeKey: keyOf(index.key, 'RANGE'),
        projectionType: index.projection,
      })),
      ttl: { attributeName: assetsTable.ttlAttribute, enabled: true },
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true },
      deletionProtectionEnabled: environment.deletionProtection,
    });

    this.bucket = new PrivateBucket(this, 'assets', {
      name: names.assetsBucket,
      forceDestroy: environment.bucket.forceDestroy,
      noncurrentVersionDays: environment.bucket.noncurrentVersionDays,
      accessLogsTo: props.accessLogsTo,
    }).bucket;
    new S3BucketNotification(this, 'assets-events', { bucket: this.bucket.id, eventbridge: true });
  }
}

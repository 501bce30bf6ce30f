import { S3Bucket } from '@cdktn/provider-aws/lib/s3-bucket/index.js';
import { S3BucketLifecycleConfiguration } from '@cdktn/provider-aws/lib/s3-bucket-lifecycle-configuration/index.js';
import { S3BucketLoggingA } from '@cdktn/provider-aws/lib/s3-bucket-logging/index.js';
import { S3BucketOwnershipControls } from '@cdktn/provider-aws/lib/s3-bucket-ownership-controls/index.js';
import { S3BucketPolicy } from '@cdktn/provider-aws/lib/s3-bucket-policy/index.js';
import { S3BucketPublicAccessBlock } from '@cdktn/provider-aws/lib/s3-bucket-public-access-block/index.js';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktn/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js';
import { S3BucketVersioningA } from '@cdktn/provider-aws/lib/s3-bucket-versioning/index.js';
import { Construct } from 'constructs';

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Principal: unknown;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, unknown>;
}

export interface PrivateBucketProps {
  name: string;
  forceDestroy: boolean;
  noncurrentVersionDays: number;
  /** Current objects expire after this many days (log buckets); unset, they are kept. */
  expireDays?: number;
  /** Server access logs go to this bucket under `s3/<name>/`. */
  accessLogsTo?: S3Bucket;
  /** Statements besides the TLS-only deny, given the bucket's ARN. */
  statements?: (arn: string) => PolicyStatement[];
}

/**
 * A bucket no one reaches without IAM: public access blocked, ACLs disabled, SSE-S3,
 * versioned (noncurrent versions expire), TLS only, incomplete multipart uploads aborted.
 * SSE-S3 rather than KMS: ALB access logs can only be written to SSE-S3 buckets, and
 * presigned browser uploads then need no KMS grant.
 */
export class PrivateBucket extends Construct {
  readonly bucket: S3Bucket;
  /** The last piece of configuration; what must wait for the bucket to be usable depends on it. */
  readonly policy: S3BucketPolicy;

  constructor(scope: Construct, id: string, props: PrivateBucketProps) {
    super(scope, id);
    const bucket = new S3Bucket(this, 'bucket', { bucket: props.name, forceDestroy: props.forceDestroy });
    this.bucket = bucket;
    const publicAccess = new S3BucketPublicAccessBlock(this, 'public-access', {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, 'ownership', {
      bucket: bucket.id,
      rule: { objectOwnership: 'BucketOwnerEnforced' },
    });
    new S3BucketServerSideEncryptionConfigurationA(this, 'encryption', {
      bucket: bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' }, bucketKeyEnabled: true }],
    });
    const versioning = new S3BucketVersioningA(this, 'versioning', {
      bucket: bucket.id,
      versioningConfiguration: { status: 'Enabled' },
    });
    new S3BucketLifecycleConfiguration(this, 'lifecycle', {
      bucket: bucket.id,
      rule: [
        {
          id: 'abort-incomplete-multipart-uploads',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
        },
        {
          id: 'expire-noncurrent-versions',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          noncurrentVersionExpiration: [{ noncurrentDays: props.noncurrentVersionDays }],
          expiration: [
            props.expireDays === undefined ? { expiredObjectDeleteMarker: true } : { days: props.expireDays },
          ],
        },
      ],
      dependsOn: [versioning],
    });
    if (props.accessLogsTo) {
      new S3BucketLoggingA(this, 'access-logs', {
        bucket: bucket.id,
        targetBucket: props.accessLogsTo.id,
        targetPrefix: `s3/${props.name}/`,
      });
    }
    this.policy = new S3BucketPolicy(this, 'policy', {
      bucket: bucket.id,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'DenyInsecureTransport',
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:*',
            Resource: [bucket.arn, `${bucket.arn}/*`],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
          ...(props.statements?.(bucket.arn) ?? []),
        ],
      }),
      dependsOn: [publicAccess],
    });
  }
}

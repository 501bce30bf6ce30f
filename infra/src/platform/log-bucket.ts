import { DataAwsCallerIdentity } from '@cdktn/provider-aws/lib/data-aws-caller-identity/index.js';
import { DataAwsElbServiceAccount } from '@cdktn/provider-aws/lib/data-aws-elb-service-account/index.js';
import type { S3Bucket } from '@cdktn/provider-aws/lib/s3-bucket/index.js';
import type { S3BucketPolicy } from '@cdktn/provider-aws/lib/s3-bucket-policy/index.js';
import { Construct } from 'constructs';
import { PrivateBucket } from './private-bucket.ts';

/** Where each log source writes in the log bucket. */
export const logPrefixes = { s3: 's3/', alb: 'alb/', vpc: 'vpc/', cloudfront: 'cloudfront/' } as const;

/**
 * The stage's log archive: S3 server access logs, ALB access logs, VPC flow logs and the
 * console's CloudFront access logs,
 * each under its own prefix and written only by its AWS service, expiring after
 * `expireDays`.
 */
export class LogBucket extends Construct {
  readonly bucket: S3Bucket;
  readonly policy: S3BucketPolicy;

  constructor(
    scope: Construct,
    id: string,
    props: { name: string; forceDestroy: boolean; expireDays: number },
  ) {
    super(scope, id);
    const account = new DataAwsCallerIdentity(this, 'account').accountId;
    // In regions older than August 2022 ALB logs are written by this regional ELB account.
    const elb = new DataAwsElbServiceAccount(this, 'elb').arn;
    const archive = new PrivateBucket(this, 'archive', {
      ...props,
      noncurrentVersionDays: 1,
      statements: (arn) => [
        {
          Sid: 'S3ServerAccessLogs',
          Effect: 'Allow',
          Principal: { Service: 'logging.s3.amazonaws.com' },
          Action: 's3:PutObject',
          Resource: `${arn}/${logPrefixes.s3}*`,
          Condition: { StringEquals: { 'aws:SourceAccount': account } },
        },
        {
          Sid: 'AlbAccessLogs',
          Effect: 'Allow',
          Principal: { AWS: elb },
          Action: 's3:PutObject',
          Resource: `${arn}/${logPrefixes.alb}AWSLogs/${account}/*`,
        },
        {
          Sid: 'VpcFlowLogsWrite',
          Effect: 'Allow',
          Principal: { Service: 'delivery.logs.amazonaws.com' },
          Action: 's3:PutObject',
          Resource: `${arn}/${logPrefixes.vpc}AWSLogs/${account}/*`,
          Condition: {
            StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceAccount': account },
          },
        },
        {
          // CloudFront standard logging v2 (the web stack's log delivery).
          Sid: 'CloudFrontAccessLogs',
          Effect: 'Allow',
          Principal: { Service: 'delivery.logs.amazonaws.com' },
          Action: 's3:PutObject',
          Resource: `${arn}/${logPrefixes.cloudfront}*`,
          Condition: {
            StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceAccount': account },
          },
        },
        {
          Sid: 'VpcFlowLogsAclCheck',
          Effect: 'Allow',
          Principal: { Service: 'delivery.logs.amazonaws.com' },
          Action: ['s3:GetBucketAcl', 's3:ListBucket'],
          Resource: arn,
          Condition: { StringEquals: { 'aws:SourceAccount': account } },
        },
      ],
    });
    this.bucket = archive.bucket;
    this.policy = archive.policy;
  }
}

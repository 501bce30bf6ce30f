import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { ElastiCacheClient, type ElastiCacheClientConfig } from '@aws-sdk/client-elasticache';
import { LambdaClient, type LambdaClientConfig } from '@aws-sdk/client-lambda';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SFNClient, type SFNClientConfig } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Client factories. Endpoints are never set here: the SDK reads the standard
 * `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` variables itself, so the
 * same code talks to AWS or to the local cloud.
 */
export interface AwsOptions {
  region?: string;
}

const base = (options: AwsOptions) => ({
  ...(options.region ? { region: options.region } : {}),
  // The SDK's default (3 attempts with backoff) is right for throttling; keep it explicit.
  maxAttempts: 3,
});

export const createS3Client = (
  options: AwsOptions & { forcePathStyle?: boolean } = {},
  extra: S3ClientConfig = {},
) => new S3Client({ ...base(options), forcePathStyle: options.forcePathStyle ?? false, ...extra });

export const createDynamoDbClient = (options: AwsOptions = {}, extra: DynamoDBClientConfig = {}) =>
  new DynamoDBClient({ ...base(options), ...extra });

/** Document client: plain JS values in and out, `undefined` fields dropped. */
export const createDocumentClient = (options: AwsOptions = {}, client?: DynamoDBClient) =>
  DynamoDBDocumentClient.from(client ?? createDynamoDbClient(options), {
    marshallOptions: { removeUndefinedValues: true },
  });

export const createSfnClient = (options: AwsOptions = {}, extra: SFNClientConfig = {}) =>
  new SFNClient({ ...base(options), ...extra });

export const createLambdaClient = (options: AwsOptions = {}, extra: LambdaClientConfig = {}) =>
  new LambdaClient({ ...base(options), ...extra });

export const createElastiCacheClient = (options: AwsOptions = {}, extra: ElastiCacheClientConfig = {}) =>
  new ElastiCacheClient({ ...base(options), ...extra });

import { ElastiCacheClient, type ElastiCacheClientConfig } from '@aws-sdk/client-elasticache';
import { LambdaClient, type LambdaClientConfig } from '@aws-sdk/client-lambda';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SFNClient, type SFNClientConfig } from '@aws-sdk/client-sfn';

/**
 * Client factories. Endpoints are never set here: the SDK reads the standard
 * `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` variables itself, so the
 * same code talks to AWS or to the local cloud.
 *
 * The SDK clients imported here are side-effect free, so a bundle keeps only the ones whose
 * factory it calls. The DynamoDB factories are in `dynamodb.ts`: @aws-sdk/lib-dynamodb does not
 * declare itself side-effect free, so importing it here would put DynamoDB into every bundle
 * that uses any client from this module (the worker's and the upload service's Lambdas).
 */
export interface AwsOptions {
  region?: string;
}

/** The settings every client gets. */
export const base = (options: AwsOptions) => ({
  ...(options.region ? { region: options.region } : {}),
  // The SDK's default (3 attempts with backoff) is right for throttling; keep it explicit.
  maxAttempts: 3,
});

export const createS3Client = (
  options: AwsOptions & { forcePathStyle?: boolean } = {},
  extra: S3ClientConfig = {},
) => new S3Client({ ...base(options), forcePathStyle: options.forcePathStyle ?? false, ...extra });

export const createSfnClient = (options: AwsOptions = {}, extra: SFNClientConfig = {}) =>
  new SFNClient({ ...base(options), ...extra });

export const createLambdaClient = (options: AwsOptions = {}, extra: LambdaClientConfig = {}) =>
  new LambdaClient({ ...base(options), ...extra });

export const createElastiCacheClient = (options: AwsOptions = {}, extra: ElastiCacheClientConfig = {}) =>
  new ElastiCacheClient({ ...base(options), ...extra });

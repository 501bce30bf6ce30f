export type { Redis } from 'ioredis';
export {
  type AwsOptions,
  createElastiCacheClient,
  createLambdaClient,
  createS3Client,
  createSfnClient,
} from './clients.ts';
export { createDocumentClient, createDynamoDbClient } from './dynamodb.ts';
export { AwsError } from './errors.ts';
export { createRedisClient, discoverRedisUrl } from './redis.ts';

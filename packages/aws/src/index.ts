export type { Redis } from 'ioredis';
export * from './clients.ts';
export { AwsError } from './errors.ts';
export { createRedisClient, discoverRedisUrl } from './redis.ts';

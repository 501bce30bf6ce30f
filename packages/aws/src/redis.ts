import { DescribeReplicationGroupsCommand, type ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { Redis, type RedisOptions } from 'ioredis';
import { AwsError } from './errors.ts';

/**
 * A Redis client that fails fast instead of queueing: a cache that is down must
 * cost a request milliseconds, not hang it. Reconnects forever in the background.
 */
export function createRedisClient(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    connectTimeout: 1_000,
    commandTimeout: 250,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
    ...options,
  });
}

/** The `rediss://` URL of an ElastiCache replication group's primary endpoint. */
export async function discoverRedisUrl(
  client: ElastiCacheClient,
  replicationGroupId: string,
): Promise<string> {
  const { ReplicationGroups } = await client.send(
    new DescribeReplicationGroupsCommand({ ReplicationGroupId: replicationGroupId }),
  );
  const group = ReplicationGroups?.[0];
  const endpoint = group?.ConfigurationEndpoint ?? group?.NodeGroups?.[0]?.PrimaryEndpoint;
  if (!endpoint?.Address) {
    throw new AwsError(
      `Replication group ${replicationGroupId} has no endpoint yet (status ${group?.Status})`,
    );
  }
  const scheme = group?.TransitEncryptionEnabled ? 'rediss' : 'redis';
  return `${scheme}://${endpoint.Address}:${endpoint.Port ?? 6379}`;
}

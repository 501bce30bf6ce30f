import { DataAwsSecretsmanagerSecretVersion } from '@cdktn/provider-aws/lib/data-aws-secretsmanager-secret-version/index.js';
import { ElasticacheReplicationGroup } from '@cdktn/provider-aws/lib/elasticache-replication-group/index.js';
import { ElasticacheSubnetGroup } from '@cdktn/provider-aws/lib/elasticache-subnet-group/index.js';
import type { SecurityGroup } from '@cdktn/provider-aws/lib/security-group/index.js';
import type { Subnet } from '@cdktn/provider-aws/lib/subnet/index.js';
import { Construct } from 'constructs';
import type { Environment } from '../environments.ts';
import { SecretVariable } from '../secrets.ts';
import { ports } from './network.ts';

/** What a consumer stack needs to build its Redis URL; plain strings, so any stack can take them. */
export interface RedisEndpoint {
  address: string;
  port: number;
  /** The AUTH token's secret; each consumer reads its value itself, so no output carries it. */
  authTokenSecretArn: string;
}

/**
 * Redis for the cache and the rate limits: private subnets only, encrypted at rest and in
 * transit, AUTH token from Secrets Manager, and with more than one cluster a replica in
 * another zone that takes over automatically.
 */
export class Cache extends Construct {
  readonly redis: ElasticacheReplicationGroup;
  readonly authToken: SecretVariable;
  /** Known at synthesis (alarm and dashboard names use it); members are `<id>-001`, `-002`, … */
  readonly replicationGroupId: string;
  readonly memberClusterIds: string[];

  constructor(
    scope: Construct,
    id: string,
    props: { environment: Environment; subnets: Subnet[]; securityGroup: SecurityGroup },
  ) {
    super(scope, id);
    const { stage, redis, deletionProtection } = props.environment;
    const subnets = new ElasticacheSubnetGroup(this, 'subnets', {
      name: `${stage}-redis`,
      description: `${stage} Redis, private subnets`,
      subnetIds: props.subnets.map((s) => s.id),
    });
    // Alphanumeric, 64 characters: within ElastiCache's AUTH rules and safe in a URL.
    this.authToken = new SecretVariable(this, 'auth-token', {
      name: `${stage}/redis/AUTH_TOKEN`,
      recoveryWindowInDays: deletionProtection ? 30 : 0,
    });
    const replicated = redis.cacheClusters > 1;
    this.replicationGroupId = `${stage}-cache`;
    this.memberClusterIds = Array.from(
      { length: redis.cacheClusters },
      (_, index) => `${this.replicationGroupId}-${String(index + 1).padStart(3, '0')}`,
    );
    this.redis = new ElasticacheReplicationGroup(this, 'redis', {
      replicationGroupId: this.replicationGroupId,
      description: `${stage} cache and rate limits`,
      engine: 'redis',
      engineVersion: redis.engineVersion,
      nodeType: redis.nodeType,
      numCacheClusters: redis.cacheClusters,
      automaticFailoverEnabled: replicated,
      multiAzEnabled: replicated,
      port: ports.redis,
      subnetGroupName: subnets.name,
      securityGroupIds: [props.securityGroup.id],
      atRestEncryptionEnabled: 'true',
      transitEncryptionEnabled: true,
      authToken: this.authToken.value,
    });
  }

  get endpoint(): RedisEndpoint {
    return {
      address: this.redis.primaryEndpointAddress,
      port: this.redis.port,
      authTokenSecretArn: this.authToken.secret.arn,
    };
  }
}

/** `rediss://:<token>@host:port`, the token read in `scope`'s own stack at plan time. */
export function redisUrlIn(scope: Construct, endpoint: RedisEndpoint): string {
  const token = new DataAwsSecretsmanagerSecretVersion(scope, 'redis-auth-token', {
    secretId: endpoint.authTokenSecretArn,
  }).secretString;
  return `rediss://:${token}@${endpoint.address}:${endpoint.port}`;
}

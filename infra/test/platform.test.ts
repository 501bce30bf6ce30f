import { variablesOf } from '@stateless/config';
import { apps, assetsTable, resourceNames } from '@stateless/topology';
import { describe, expect, it } from 'vitest';
import { envSchemas } from '../src/app-env.ts';
import { environments } from '../src/environments.ts';
import { permissions } from '../src/permissions.ts';
import { type Block, onlyResource, resourceKey, resources, stack } from './synth.ts';

describe('assets table', () => {
  it('has the keys, indexes and TTL of assetsTable', () => {
    const [, table] = onlyResource(stack('platform'), 'aws_dynamodb_table');
    const keyName = (key: typeof assetsTable.key, type: string) => key.find((k) => k.type === type)?.name;
    expect(table.name).toBe(resourceNames('dev').assetsTable);
    expect(table.hash_key).toBe(keyName(assetsTable.key, 'HASH'));
    expect(table.range_key).toBe(keyName(assetsTable.key, 'RANGE'));
    expect(table.attribute).toEqual(assetsTable.attributes.map((a) => ({ name: a.name, type: a.type })));
    expect(table.global_secondary_index).toEqual(
      assetsTable.globalIndexes.map((index) => ({
        name: index.name,
        hash_key: keyName(index.key, 'HASH'),
        ...(keyName(index.key, 'RANGE') ? { range_key: keyName(index.key, 'RANGE') } : {}),
        projection_type: index.projection,
      })),
    );
    expect(table.ttl).toEqual({ attribute_name: assetsTable.ttlAttribute, enabled: true });
  });

  it('has the sparse cleanup index the deleted-assets sweep queries, and data-api may Query it', () => {
    const [, table] = onlyResource(stack('platform'), 'aws_dynamodb_table');
    expect(table.global_secondary_index).toContainEqual({
      name: 'byCleanup',
      hash_key: 'cleanupPending',
      range_key: 'deletedAt',
      projection_type: 'KEYS_ONLY',
    });
    // `assetsTableIndexes` is `<table arn>/index/*` (asserted per policy in apps.test.ts).
    const grants: readonly { actions: readonly string[]; resources: readonly string[] }[] =
      permissions['data-api'];
    expect(
      grants.some((g) => g.actions.includes('dynamodb:Query') && g.resources.includes('assetsTableIndexes')),
    ).toBe(true);
  });

  it('is on-demand, encrypted and point-in-time recoverable', () => {
    const [, table] = onlyResource(stack('platform'), 'aws_dynamodb_table');
    expect(table.billing_mode).toBe('PAY_PER_REQUEST');
    expect(table.point_in_time_recovery).toEqual({ enabled: true });
    expect(table.server_side_encryption).toEqual({ enabled: true });
  });
});

describe('assets bucket', () => {
  // The assets bucket and its settings (the log bucket is a second PrivateBucket).
  const one = (type: string) => {
    const found = resources(stack('platform'), type).filter(([key]) => key.startsWith('data-stores_assets'));
    if (found.length !== 1)
      throw new Error(`expected one ${type} of the assets bucket, found ${found.length}`);
    return (found[0] as [string, Block])[1];
  };

  it('is private and encrypted', () => {
    expect(one('aws_s3_bucket').bucket).toBe(resourceNames('dev').assetsBucket);
    expect(one('aws_s3_bucket_public_access_block')).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(one('aws_s3_bucket_ownership_controls').rule).toEqual({ object_ownership: 'BucketOwnerEnforced' });
    const [rule] = one('aws_s3_bucket_server_side_encryption_configuration').rule as Block[];
    expect(rule?.apply_server_side_encryption_by_default).toEqual({ sse_algorithm: 'AES256' });
    const policy = JSON.parse(String(one('aws_s3_bucket_policy').policy));
    expect(policy.Statement[0]).toMatchObject({
      Effect: 'Deny',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
  });

  it('aborts incomplete multipart uploads after a day', () => {
    const rules = one('aws_s3_bucket_lifecycle_configuration').rule as Block[];
    expect(rules).toContainEqual(
      expect.objectContaining({
        status: 'Enabled',
        abort_incomplete_multipart_upload: [{ days_after_initiation: 1 }],
      }),
    );
  });
});

describe('redis', () => {
  it('encrypts in transit and at rest and lives in private subnets', () => {
    const [, redis] = onlyResource(stack('platform'), 'aws_elasticache_replication_group');
    expect(redis.transit_encryption_enabled).toBe(true);
    expect(redis.at_rest_encryption_enabled).toBe('true');
    const [, subnets] = onlyResource(stack('platform'), 'aws_elasticache_subnet_group');
    for (const id of subnets.subnet_ids as string[]) expect(id).toMatch(/aws_subnet\.network_private-/);
  });

  it('is reachable only from the apps that read REDIS_URL', () => {
    const redisRules = resources(stack('platform'), 'aws_vpc_security_group_ingress_rule').filter(
      ([, rule]) => String(rule.security_group_id).includes('sg-redis'),
    );
    const readers = apps.filter((app) => variablesOf(envSchemas[app]).some((v) => v.name === 'REDIS_URL'));
    expect(readers).toEqual(['data-api']);
    expect(redisRules.map(([, rule]) => rule.referenced_security_group_id)).toEqual(
      readers.map(
        (app) =>
          `\${aws_security_group.${resourceKey('platform', 'aws_security_group', `network_sg-app-${app}`)}.id}`,
      ),
    );
  });
});

describe('environments differ by config, not code', () => {
  it('prod is multi-AZ, protected and keeps state in S3', () => {
    const [, redis] = onlyResource(stack('platform', 'prod'), 'aws_elasticache_replication_group');
    expect(redis).toMatchObject({
      multi_az_enabled: true,
      automatic_failover_enabled: true,
      num_cache_clusters: 2,
    });
    const [, table] = onlyResource(stack('platform', 'prod'), 'aws_dynamodb_table');
    expect(table.name).toBe(resourceNames('prod').assetsTable);
    expect(table.deletion_protection_enabled).toBe(true);
    expect(resources(stack('platform', 'prod'), 'aws_nat_gateway')).toHaveLength(
      environments.prod.network.availabilityZones.length,
    );
    expect(stack('data-api', 'prod').terraform.backend).toEqual({
      s3: expect.objectContaining({ key: 'prod/data-api.tfstate', use_lockfile: true, encrypt: true }),
    });
  });

  it('dev keeps per-stage local state, so dev and prod never share a state file', () => {
    const backend = stack('data-api', 'dev').terraform.backend as { local: { path: string } };
    expect(backend.local.path).toMatch(/terraform-state\/dev\/data-api\.tfstate$/);
  });
});

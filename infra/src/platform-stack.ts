import { metricsNamespace } from '@stateless/observability';
import { type AppName, originalsPrefix } from '@stateless/topology';
import type { Construct } from 'constructs';
import { sharedSecretVariables } from './app-env.ts';
import { EnvironmentStack } from './environment-stack.ts';
import type { Environment } from './environments.ts';
import type { ResourceRef } from './permissions.ts';
import { Cache, type RedisEndpoint, redisUrlIn } from './platform/cache.ts';
import { DataStores } from './platform/data-stores.ts';
import { type AppTarget, LoadBalancers } from './platform/load-balancers.ts';
import { LogBucket } from './platform/log-bucket.ts';
import { Monitoring } from './platform/monitoring.ts';
import { type AlbListener, Network } from './platform/network.ts';
import { SecretVariable } from './secrets.ts';

export { pathPatterns } from './platform/load-balancers.ts';
export { type AlbListener, albListeners } from './platform/network.ts';

/** What app stacks take from the platform: plain values, never the stack itself. */
export interface PlatformOutputs {
  privateSubnetIds: string[];
  securityGroupIdOf(app: AppName): string;
  targetsOf(app: AppName): { listener: AlbListener; targetGroupArn: string }[];
  /** ARNs of the platform's resources, for permissions.ts grants. */
  arns: Partial<Record<ResourceRef, string>>;
  assetsBucketName: string;
  /** The values apps read from the platform, keyed by env variable; Redis's URL is built in `scope`. */
  variablesFor(scope: Construct): Record<string, () => string>;
  /**
   * The secrets several apps share (one per stage), keyed by env variable: their ARNs, so each
   * app's stack reads the value itself and no output carries it.
   */
  sharedSecretArns: Readonly<Record<string, string>>;
}

/**
 * Network, load balancers and their routing (from the route table), the stateful
 * resources (assets table, assets bucket, Redis), the log bucket, and monitoring.
 */
export class PlatformStack extends EnvironmentStack implements PlatformOutputs {
  readonly network: Network;
  readonly logs: LogBucket;
  readonly loadBalancers: LoadBalancers;
  readonly dataStores: DataStores;
  readonly cache: Cache;
  readonly monitoring: Monitoring;
  /** By variable: the secrets several apps share (app-env.ts sharedSecretVariables). */
  readonly sharedSecrets: Readonly<Record<string, SecretVariable>>;

  constructor(scope: Construct, environment: Environment) {
    super(scope, 'platform', environment);
    const { stage } = environment;
    this.logs = new LogBucket(this, 'logs', {
      name: `${stage}-stateless-logs`,
      forceDestroy: environment.bucket.forceDestroy,
      expireDays: environment.accessLogDays,
    });
    this.network = new Network(this, 'network', { environment, logs: this.logs });
    this.loadBalancers = new LoadBalancers(this, 'load-balancers', {
      environment,
      network: this.network,
      logs: this.logs,
    });
    this.dataStores = new DataStores(this, 'data-stores', { environment, accessLogsTo: this.logs.bucket });
    this.cache = new Cache(this, 'cache', {
      environment,
      subnets: this.network.privateSubnets,
      securityGroup: this.network.redisSecurityGroup,
    });
    this.sharedSecrets = Object.fromEntries(
      sharedSecretVariables.map((variable) => [
        variable,
        new SecretVariable(this, `shared-secret-${variable}`, {
          name: `${stage}/shared/${variable}`,
          recoveryWindowInDays: environment.deletionProtection ? 30 : 0,
        }),
      ]),
    );
    this.monitoring = new Monitoring(this, 'monitoring', {
      environment,
      loadBalancers: this.loadBalancers,
      dataStores: this.dataStores,
      cache: this.cache,
    });
  }

  get privateSubnetIds() {
    return this.network.privateSubnets.map((s) => s.id);
  }

  securityGroupIdOf(app: AppName) {
    return this.network.appSecurityGroups[app].id;
  }

  get targets(): AppTarget[] {
    return this.loadBalancers.targets;
  }

  targetsOf(app: AppName) {
    return this.targets
      .filter((t) => t.app === app)
      .map((t) => ({ listener: t.listener, targetGroupArn: t.targetGroup.arn }));
  }

  get redis(): RedisEndpoint {
    return this.cache.endpoint;
  }

  /** The public ALB as CloudFront reaches it: by its certificate's name over HTTPS when it has one. */
  get publicEntry() {
    const domain = this.environment.publicCertificateDomain;
    return domain
      ? { domainName: domain, https: true }
      : { domainName: this.loadBalancers.loadBalancers.public.dnsName, https: false };
  }

  get assetsBucketName() {
    return this.dataStores.bucket.bucket;
  }

  variablesFor(scope: Construct): Record<string, () => string> {
    return {
      ASSETS_TABLE: () => this.dataStores.table.name,
      ASSETS_BUCKET: () => this.dataStores.bucket.bucket,
      // Transit encryption and AUTH are on: rediss with the token.
      REDIS_URL: () => redisUrlIn(scope, this.redis),
      DATA_API_INTERNAL_URL: () => `http://${this.loadBalancers.loadBalancers.internal.dnsName}`,
      METRICS_NAMESPACE: () => metricsNamespace(this.environment.stage),
    };
  }

  get sharedSecretArns() {
    return Object.fromEntries(
      Object.entries(this.sharedSecrets).map(([variable, shared]) => [variable, shared.secret.arn]),
    );
  }

  get arns() {
    const { table, bucket } = this.dataStores;
    return {
      assetsTable: table.arn,
      assetsTableIndexes: `${table.arn}/index/*`,
      assetsBucket: bucket.arn,
      assetsBucketObjects: `${bucket.arn}/*`,
      assetsOriginals: `${bucket.arn}/${originalsPrefix}*`,
    };
  }
}

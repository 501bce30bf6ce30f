import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table/index.js';
import { Eip } from '@cdktf/provider-aws/lib/eip/index.js';
import { ElasticacheReplicationGroup } from '@cdktf/provider-aws/lib/elasticache-replication-group/index.js';
import { ElasticacheSubnetGroup } from '@cdktf/provider-aws/lib/elasticache-subnet-group/index.js';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway/index.js';
import { Lb } from '@cdktf/provider-aws/lib/lb/index.js';
import { LbListener } from '@cdktf/provider-aws/lib/lb-listener/index.js';
import { LbListenerRule } from '@cdktf/provider-aws/lib/lb-listener-rule/index.js';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group/index.js';
import { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway/index.js';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table/index.js';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association/index.js';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket/index.js';
import { S3BucketCorsConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-cors-configuration/index.js';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration/index.js';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls/index.js';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy/index.js';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block/index.js';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group/index.js';
import { Subnet } from '@cdktf/provider-aws/lib/subnet/index.js';
import { Vpc } from '@cdktf/provider-aws/lib/vpc/index.js';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint/index.js';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule/index.js';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js';
import { variablesOf } from '@stateless/config';
import {
  type AppName,
  apps,
  assetsTable,
  health,
  type Listener,
  resourceNames,
  routes,
} from '@stateless/topology';
import { Fn } from 'cdktf';
import type { Construct } from 'constructs';
import { envSchemas } from './app-env.ts';
import { EnvironmentStack } from './environment-stack.ts';
import type { Environment } from './environments.ts';

/** Listeners that are load balancers in AWS. `lambda` is the Lambda Invoke API, i.e. Lambda itself. */
export type AlbListener = Exclude<Listener, 'lambda'>;
export const albListeners: readonly AlbListener[] = ['public', 'internal'];

/** ALB limit: five condition values per rule; each prefix takes two (`p` and `p/*`). */
const maxPathPatterns = 5;

export const pathPatterns = (prefixes: readonly string[]) => prefixes.flatMap((p) => [p, `${p}/*`]);

export interface AppTarget {
  listener: AlbListener;
  app: AppName;
  targetGroup: LbTargetGroup;
}

const reads = (app: AppName, variable: string) =>
  variablesOf(envSchemas[app]).some((v) => v.name === variable);

/**
 * Network, load balancers and their routing (from the route table), and the
 * stateful resources: assets table, assets bucket, Redis.
 */
export class PlatformStack extends EnvironmentStack {
  readonly vpc: Vpc;
  readonly privateSubnets: Subnet[];
  /** One security group per app, so each is let into exactly what it needs. */
  readonly appSecurityGroups: Record<AppName, SecurityGroup>;
  readonly loadBalancers: Record<AlbListener, Lb>;
  readonly targets: AppTarget[];
  readonly table: DynamodbTable;
  readonly bucket: S3Bucket;
  readonly redis: ElasticacheReplicationGroup;

  constructor(scope: Construct, environment: Environment) {
    super(scope, 'platform', environment);
    const { stage, network } = environment;
    const names = resourceNames(stage);
    if (network.availabilityZones.length < 2) throw new Error('ALBs need subnets in at least two zones');

    // --- Network: public subnets (ALB, NAT) and private subnets (Lambdas, Redis) per zone.
    this.vpc = new Vpc(this, 'vpc', {
      cidrBlock: network.cidr,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: { Name: `${stage}-stateless` },
    });
    const igw = new InternetGateway(this, 'igw', { vpcId: this.vpc.id });
    const publicRoutes = new RouteTable(this, 'public-routes', {
      vpcId: this.vpc.id,
      route: [{ cidrBlock: '0.0.0.0/0', gatewayId: igw.id }],
      tags: { Name: `${stage}-public` },
    });
    const publicSubnets = network.availabilityZones.map((zone, index) => {
      const subnet = new Subnet(this, `public-${zone}`, {
        vpcId: this.vpc.id,
        availabilityZone: zone,
        cidrBlock: Fn.cidrsubnet(network.cidr, 4, index),
        tags: { Name: `${stage}-public-${zone}` },
      });
      new RouteTableAssociation(this, `public-${zone}-routes`, {
        subnetId: subnet.id,
        routeTableId: publicRoutes.id,
      });
      return subnet;
    });
    const natCount = network.natGateways === 'single' ? 1 : publicSubnets.length;
    const nats = publicSubnets.slice(0, natCount).map((subnet, index) => {
      const zone = network.availabilityZones[index];
      const eip = new Eip(this, `nat-ip-${zone}`, { domain: 'vpc', dependsOn: [igw] });
      return new NatGateway(this, `nat-${zone}`, { allocationId: eip.id, subnetId: subnet.id });
    });
    const privateRouteTables: RouteTable[] = [];
    this.privateSubnets = network.availabilityZones.map((zone, index) => {
      const subnet = new Subnet(this, `private-${zone}`, {
        vpcId: this.vpc.id,
        availabilityZone: zone,
        cidrBlock: Fn.cidrsubnet(network.cidr, 4, 8 + index),
        tags: { Name: `${stage}-private-${zone}` },
      });
      const nat = nats[Math.min(index, nats.length - 1)];
      const routeTable = new RouteTable(this, `private-${zone}-routes`, {
        vpcId: this.vpc.id,
        route: nat ? [{ cidrBlock: '0.0.0.0/0', natGatewayId: nat.id }] : [],
        tags: { Name: `${stage}-private-${zone}` },
      });
      privateRouteTables.push(routeTable);
      new RouteTableAssociation(this, `private-${zone}-routes-association`, {
        subnetId: subnet.id,
        routeTableId: routeTable.id,
      });
      return subnet;
    });
    // S3 and DynamoDB traffic stays off the NAT (gateway endpoints are free).
    for (const service of ['s3', 'dynamodb']) {
      new VpcEndpoint(this, `endpoint-${service}`, {
        vpcId: this.vpc.id,
        serviceName: `com.amazonaws.${environment.region}.${service}`,
        vpcEndpointType: 'Gateway',
        routeTableIds: privateRouteTables.map((table) => table.id),
      });
    }

    // --- Security groups.
    const securityGroup = (name: string, description: string) =>
      new SecurityGroup(this, `sg-${name}`, {
        name: `${stage}-${name}`,
        description,
        vpcId: this.vpc.id,
        tags: { Name: `${stage}-${name}` },
      });
    this.appSecurityGroups = Object.fromEntries(
      apps.map((app) => {
        const group = securityGroup(`app-${app}`, `${app} Lambda functions`);
        new VpcSecurityGroupEgressRule(this, `app-${app}-egress`, {
          securityGroupId: group.id,
          cidrIpv4: '0.0.0.0/0',
          ipProtocol: '-1',
          description: 'AWS APIs, internal ALB, Redis, identity provider',
        });
        return [app, group];
      }),
    ) as Record<AppName, SecurityGroup>;
    const albGroups: Record<AlbListener, SecurityGroup> = {
      public: securityGroup('alb-public', 'Public load balancer'),
      internal: securityGroup('alb-internal', 'Internal load balancer'),
    };
    const publicPorts = environment.publicCertificateArn ? [80, 443] : [80];
    for (const port of publicPorts) {
      new VpcSecurityGroupIngressRule(this, `alb-public-ingress-${port}`, {
        securityGroupId: albGroups.public.id,
        cidrIpv4: '0.0.0.0/0',
        ipProtocol: 'tcp',
        fromPort: port,
        toPort: port,
      });
    }
    const redisGroup = securityGroup('redis', 'Redis, reachable from the apps that read REDIS_URL');
    for (const app of apps) {
      // Who may call whom follows from the env schemas: an app reads the URL of what it calls.
      if (reads(app, 'DATA_API_INTERNAL_URL')) {
        new VpcSecurityGroupIngressRule(this, `alb-internal-from-${app}`, {
          securityGroupId: albGroups.internal.id,
          referencedSecurityGroupId: this.appSecurityGroups[app].id,
          ipProtocol: 'tcp',
          fromPort: 80,
          toPort: 80,
        });
      }
      if (reads(app, 'REDIS_URL')) {
        new VpcSecurityGroupIngressRule(this, `redis-from-${app}`, {
          securityGroupId: redisGroup.id,
          referencedSecurityGroupId: this.appSecurityGroups[app].id,
          ipProtocol: 'tcp',
          fromPort: 6379,
          toPort: 6379,
        });
      }
    }

    // --- Load balancers and routing, generated from the route table.
    this.loadBalancers = {
      public: new Lb(this, 'alb-public', {
        name: `${stage}-public`,
        loadBalancerType: 'application',
        internal: false,
        subnets: publicSubnets.map((s) => s.id),
        securityGroups: [albGroups.public.id],
        dropInvalidHeaderFields: true,
        enableDeletionProtection: environment.deletionProtection,
      }),
      internal: new Lb(this, 'alb-internal', {
        name: `${stage}-internal`,
        loadBalancerType: 'application',
        internal: true,
        subnets: this.privateSubnets.map((s) => s.id),
        securityGroups: [albGroups.internal.id],
        dropInvalidHeaderFields: true,
        enableDeletionProtection: environment.deletionProtection,
      }),
    };
    const notFound = {
      type: 'fixed-response',
      fixedResponse: {
        contentType: 'application/json',
        statusCode: '404',
        messageBody: JSON.stringify({ error: { code: 'NotFound', message: 'No route' } }),
      },
    };
    const listeners: Record<AlbListener, LbListener> = {
      public: environment.publicCertificateArn
        ? new LbListener(this, 'listener-public', {
            loadBalancerArn: this.loadBalancers.public.arn,
            port: 443,
            protocol: 'HTTPS',
            sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
            certificateArn: environment.publicCertificateArn,
            defaultAction: [notFound],
          })
        : new LbListener(this, 'listener-public', {
            loadBalancerArn: this.loadBalancers.public.arn,
            port: 80,
            protocol: 'HTTP',
            defaultAction: [notFound],
          }),
      internal: new LbListener(this, 'listener-internal', {
        loadBalancerArn: this.loadBalancers.internal.arn,
        port: 80,
        protocol: 'HTTP',
        defaultAction: [notFound],
      }),
    };
    if (environment.publicCertificateArn) {
      new LbListener(this, 'listener-public-redirect', {
        loadBalancerArn: this.loadBalancers.public.arn,
        port: 80,
        protocol: 'HTTP',
        defaultAction: [
          { type: 'redirect', redirect: { port: '443', protocol: 'HTTPS', statusCode: 'HTTP_301' } },
        ],
      });
    }
    // A target group belongs to one load balancer: one per (listener, app).
    this.targets = [];
    const targetGroupFor = (listener: AlbListener, app: AppName) => {
      const existing = this.targets.find((t) => t.listener === listener && t.app === app);
      if (existing) return existing.targetGroup;
      const name = `${stage}-${app}-${listener}`;
      if (name.length > 32) throw new Error(`Target group name ${name} is longer than 32 characters`);
      const targetGroup = new LbTargetGroup(this, `tg-${listener}-${app}`, {
        name,
        targetType: 'lambda',
        // Single-value headers: the apps' Lambda adapters expect the default ALB event shape.
        lambdaMultiValueHeadersEnabled: false,
        healthCheck: {
          enabled: true,
          path: health.live,
          matcher: '200',
          interval: 30,
          timeout: 5,
          healthyThreshold: 2,
          unhealthyThreshold: 3,
        },
      });
      this.targets.push({ listener, app, targetGroup });
      return targetGroup;
    };
    for (const route of routes) {
      if (route.listener === 'lambda') continue;
      const patterns = pathPatterns(route.pathPrefixes);
      if (patterns.length > maxPathPatterns) {
        throw new Error(`Route of ${route.app} has ${patterns.length} path patterns; an ALB rule allows 5`);
      }
      new LbListenerRule(this, `rule-${route.listener}-${route.app}-${route.priority}`, {
        listenerArn: listeners[route.listener].arn,
        priority: route.priority,
        condition: [{ pathPattern: { values: patterns } }],
        action: [{ type: 'forward', targetGroupArn: targetGroupFor(route.listener, route.app).arn }],
      });
    }

    // --- Assets table, exactly as topology defines it.
    const keyOf = (key: typeof assetsTable.key, type: 'HASH' | 'RANGE') =>
      key.find((k) => k.type === type)?.name;
    const hashKeyOf = (key: typeof assetsTable.key) => {
      const name = keyOf(key, 'HASH');
      if (name === undefined) throw new Error('A DynamoDB key needs a HASH attribute');
      return name;
    };
    this.table = new DynamodbTable(this, 'assets-table', {
      name: names.assetsTable,
      billingMode: 'PAY_PER_REQUEST',
      hashKey: hashKeyOf(assetsTable.key),
      rangeKey: keyOf(assetsTable.key, 'RANGE'),
      attribute: assetsTable.attributes.map((a) => ({ name: a.name, type: a.type })),
      globalSecondaryIndex: assetsTable.globalIndexes.map((index) => ({
        name: index.name,
        hashKey: hashKeyOf(index.key),
        rangeKey: keyOf(index.key, 'RANGE'),
        projectionType: index.projection,
      })),
      ttl: { attributeName: assetsTable.ttlAttribute, enabled: true },
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true },
      deletionProtectionEnabled: environment.deletionProtection,
    });

    // --- Assets bucket: private, encrypted, TLS only, presigned PUT from browsers.
    this.bucket = new S3Bucket(this, 'assets-bucket', {
      bucket: names.assetsBucket,
      forceDestroy: environment.bucket.forceDestroy,
    });
    const publicAccess = new S3BucketPublicAccessBlock(this, 'assets-bucket-public-access', {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, 'assets-bucket-ownership', {
      bucket: this.bucket.id,
      rule: { objectOwnership: 'BucketOwnerEnforced' },
    });
    new S3BucketServerSideEncryptionConfigurationA(this, 'assets-bucket-encryption', {
      bucket: this.bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' }, bucketKeyEnabled: true }],
    });
    new S3BucketLifecycleConfiguration(this, 'assets-bucket-lifecycle', {
      bucket: this.bucket.id,
      rule: [
        {
          id: 'abort-incomplete-multipart-uploads',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
        },
      ],
    });
    new S3BucketCorsConfiguration(this, 'assets-bucket-cors', {
      bucket: this.bucket.id,
      corsRule: [
        {
          allowedMethods: ['PUT', 'GET', 'HEAD'],
          allowedOrigins: [...environment.bucket.corsAllowedOrigins],
          allowedHeaders: ['*'],
          // Multipart clients read each part's ETag.
          exposeHeaders: ['ETag'],
          maxAgeSeconds: 3000,
        },
      ],
    });
    new S3BucketPolicy(this, 'assets-bucket-policy', {
      bucket: this.bucket.id,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'DenyInsecureTransport',
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:*',
            Resource: [this.bucket.arn, `${this.bucket.arn}/*`],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      }),
      dependsOn: [publicAccess],
    });

    // --- Redis: encrypted in transit and at rest, private subnets only.
    const redisSubnets = new ElasticacheSubnetGroup(this, 'redis-subnets', {
      name: `${stage}-redis`,
      subnetIds: this.privateSubnets.map((s) => s.id),
    });
    const replicated = environment.redis.cacheClusters > 1;
    this.redis = new ElasticacheReplicationGroup(this, 'redis', {
      replicationGroupId: `${stage}-cache`,
      description: `${stage} cache and rate limits`,
      engine: 'redis',
      engineVersion: environment.redis.engineVersion,
      nodeType: environment.redis.nodeType,
      numCacheClusters: environment.redis.cacheClusters,
      automaticFailoverEnabled: replicated,
      multiAzEnabled: replicated,
      port: 6379,
      subnetGroupName: redisSubnets.name,
      securityGroupIds: [redisGroup.id],
      atRestEncryptionEnabled: 'true',
      transitEncryptionEnabled: true,
    });

    // --- Alarms: load balancer and target 5xx.
    const fiveXxAlarm = {
      namespace: 'AWS/ApplicationELB',
      statistic: 'Sum',
      period: 60,
      evaluationPeriods: 5,
      threshold: 10,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching',
    };
    for (const listener of albListeners) {
      new CloudwatchMetricAlarm(this, `alarm-${listener}-alb-5xx`, {
        alarmName: `${stage}-${listener}-alb-5xx`,
        metricName: 'HTTPCode_ELB_5XX_Count',
        dimensions: { LoadBalancer: this.loadBalancers[listener].arnSuffix },
        ...fiveXxAlarm,
      });
    }
    for (const { listener, app, targetGroup } of this.targets) {
      new CloudwatchMetricAlarm(this, `alarm-${listener}-${app}-5xx`, {
        alarmName: `${stage}-${app}-${listener}-5xx`,
        metricName: 'HTTPCode_Target_5XX_Count',
        dimensions: {
          LoadBalancer: this.loadBalancers[listener].arnSuffix,
          TargetGroup: targetGroup.arnSuffix,
        },
        ...fiveXxAlarm,
      });
    }
  }

  /** The values apps read from the platform, keyed by env variable name. */
  get outputsByVariable(): Record<string, () => string> {
    return {
      ASSETS_TABLE: () => this.table.name,
      ASSETS_BUCKET: () => this.bucket.bucket,
      // Transit encryption is on, so the scheme is rediss.
      REDIS_URL: () => `rediss://${this.redis.primaryEndpointAddress}:${this.redis.port}`,
      DATA_API_INTERNAL_URL: () => `http://${this.loadBalancers.internal.dnsName}`,
    };
  }

  /** The ARNs of the platform's resources, for permissions.ts grants. */
  get arns() {
    return {
      assetsTable: this.table.arn,
      assetsTableIndexes: `${this.table.arn}/index/*`,
      assetsBucket: this.bucket.arn,
      assetsBucketObjects: `${this.bucket.arn}/*`,
    };
  }

  targetsOf(app: AppName): AppTarget[] {
    return this.targets.filter((t) => t.app === app);
  }
}

import { DefaultSecurityGroup } from '@cdktn/provider-aws/lib/default-security-group/index.js';
import { Eip } from '@cdktn/provider-aws/lib/eip/index.js';
import { FlowLog } from '@cdktn/provider-aws/lib/flow-log/index.js';
import { InternetGateway } from '@cdktn/provider-aws/lib/internet-gateway/index.js';
import { NatGateway } from '@cdktn/provider-aws/lib/nat-gateway/index.js';
import { RouteTable } from '@cdktn/provider-aws/lib/route-table/index.js';
import { RouteTableAssociation } from '@cdktn/provider-aws/lib/route-table-association/index.js';
import type { S3Bucket } from '@cdktn/provider-aws/lib/s3-bucket/index.js';
import type { S3BucketPolicy } from '@cdktn/provider-aws/lib/s3-bucket-policy/index.js';
import { SecurityGroup } from '@cdktn/provider-aws/lib/security-group/index.js';
import { Subnet } from '@cdktn/provider-aws/lib/subnet/index.js';
import { Vpc } from '@cdktn/provider-aws/lib/vpc/index.js';
import { VpcEndpoint } from '@cdktn/provider-aws/lib/vpc-endpoint/index.js';
import { VpcSecurityGroupEgressRule } from '@cdktn/provider-aws/lib/vpc-security-group-egress-rule/index.js';
import { VpcSecurityGroupIngressRule } from '@cdktn/provider-aws/lib/vpc-security-group-ingress-rule/index.js';
import { variablesOf } from '@stateless/config';
import { type AppName, apps } from '@stateless/topology';
import { Fn } from 'cdktn';
import { Construct } from 'constructs';
import { envSchemas } from '../app-env.ts';
import type { Environment } from '../environments.ts';
import { logPrefixes } from './log-bucket.ts';

/** Listeners that are load balancers in AWS. `lambda` is the Lambda Invoke API, i.e. Lambda itself. */
export type AlbListener = 'public' | 'internal';
export const albListeners: readonly AlbListener[] = ['public', 'internal'];

/** The internal ALB's port, and Redis's. */
export const ports = { internalAlb: 80, redis: 6379 } as const;

const reads = (app: AppName, variable: string) =>
  variablesOf(envSchemas[app]).some((v) => v.name === variable);

export interface NetworkProps {
  environment: Environment;
  logs: { bucket: S3Bucket; policy: S3BucketPolicy };
}

/**
 * The VPC: a public and a private subnet per zone, NAT, free gateway endpoints for S3 and
 * DynamoDB, flow logs to the log bucket, the default security group closed, and one
 * security group per workload whose rules follow from what each app calls.
 */
export class Network extends Construct {
  readonly vpc: Vpc;
  readonly publicSubnets: Subnet[];
  readonly privateSubnets: Subnet[];
  /** One security group per app, so each is let into exactly what it needs. */
  readonly appSecurityGroups: Record<AppName, SecurityGroup>;
  readonly albSecurityGroups: Record<AlbListener, SecurityGroup>;
  readonly redisSecurityGroup: SecurityGroup;

  constructor(scope: Construct, id: string, { environment, logs }: NetworkProps) {
    super(scope, id);
    const { stage, network } = environment;
    if (network.availabilityZones.length < 2) throw new Error('ALBs need subnets in at least two zones');

    this.vpc = new Vpc(this, 'vpc', {
      cidrBlock: network.cidr,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: { Name: `${stage}-stateless` },
    });
    // Nothing uses the default group; with no rules it admits and emits nothing.
    new DefaultSecurityGroup(this, 'default-security-group', {
      vpcId: this.vpc.id,
      ingress: [],
      egress: [],
      tags: { Name: `${stage}-default-closed` },
    });
    new FlowLog(this, 'flow-logs', {
      vpcId: this.vpc.id,
      trafficType: 'ALL',
      logDestinationType: 's3',
      logDestination: `${logs.bucket.arn}/${logPrefixes.vpc}`,
      maxAggregationInterval: 600,
      dependsOn: [logs.policy],
    });

    const igw = new InternetGateway(this, 'igw', { vpcId: this.vpc.id });
    const publicRoutes = new RouteTable(this, 'public-routes', {
      vpcId: this.vpc.id,
      route: [{ cidrBlock: '0.0.0.0/0', gatewayId: igw.id }],
      tags: { Name: `${stage}-public` },
    });
    this.publicSubnets = network.availabilityZones.map((zone, index) => {
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
    const natCount = network.natGateways === 'single' ? 1 : this.publicSubnets.length;
    const nats = this.publicSubnets.slice(0, natCount).map((subnet, index) => {
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
    this.albSecurityGroups = {
      public: securityGroup('alb-public', 'Public load balancer'),
      internal: securityGroup('alb-internal', 'Internal load balancer, reachable from the apps that call it'),
    };
    // 443 only with a certificate; 80 then only redirects to it.
    const publicPorts = environment.publicCertificateDomain ? [80, 443] : [80];
    for (const port of publicPorts) {
      new VpcSecurityGroupIngressRule(this, `alb-public-ingress-${port}`, {
        securityGroupId: this.albSecurityGroups.public.id,
        cidrIpv4: '0.0.0.0/0',
        ipProtocol: 'tcp',
        fromPort: port,
        toPort: port,
        description: port === 443 ? 'HTTPS from anywhere' : 'HTTP from anywhere',
      });
    }
    // An ALB reaches Lambda targets through the Lambda API, not the VPC: no egress needed.
    this.redisSecurityGroup = securityGroup('redis', 'Redis, reachable from the apps that read REDIS_URL');
    for (const app of apps) {
      // Who may call whom follows from the env schemas: an app reads the URL of what it calls.
      if (reads(app, 'DATA_API_INTERNAL_URL')) {
        new VpcSecurityGroupIngressRule(this, `alb-internal-from-${app}`, {
          securityGroupId: this.albSecurityGroups.internal.id,
          referencedSecurityGroupId: this.appSecurityGroups[app].id,
          ipProtocol: 'tcp',
          fromPort: ports.internalAlb,
          toPort: ports.internalAlb,
          description: `Internal API calls from ${app}`,
        });
      }
      if (reads(app, 'REDIS_URL')) {
        new VpcSecurityGroupIngressRule(this, `redis-from-${app}`, {
          securityGroupId: this.redisSecurityGroup.id,
          referencedSecurityGroupId: this.appSecurityGroups[app].id,
          ipProtocol: 'tcp',
          fromPort: ports.redis,
          toPort: ports.redis,
          description: `Redis from ${app}`,
        });
      }
    }
  }
}

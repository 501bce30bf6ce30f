import { DataAwsAcmCertificate } from '@cdktn/provider-aws/lib/data-aws-acm-certificate/index.js';
import { Lb } from '@cdktn/provider-aws/lib/lb/index.js';
import { LbListener, type LbListenerDefaultAction } from '@cdktn/provider-aws/lib/lb-listener/index.js';
import { LbListenerRule } from '@cdktn/provider-aws/lib/lb-listener-rule/index.js';
import { LbTargetGroup } from '@cdktn/provider-aws/lib/lb-target-group/index.js';
import type { S3Bucket } from '@cdktn/provider-aws/lib/s3-bucket/index.js';
import type { S3BucketPolicy } from '@cdktn/provider-aws/lib/s3-bucket-policy/index.js';
import type { Wafv2WebAcl } from '@cdktn/provider-aws/lib/wafv2-web-acl/index.js';
import { Wafv2WebAclAssociation } from '@cdktn/provider-aws/lib/wafv2-web-acl-association/index.js';
import { type AppName, health, routes } from '@stateless/topology';
import { Construct } from 'constructs';
import type { Environment } from '../environments.ts';
import { logPrefixes } from './log-bucket.ts';
import { type AlbListener, type Network, ports } from './network.ts';
import { createWebAcl } from './web-acl.ts';

/** TLS 1.3 and 1.2 only (AWS's recommended policy). */
export const tlsPolicy = 'ELBSecurityPolicy-TLS13-1-2-2021-06';

/** ALB limit: five condition values per rule; each prefix takes two (`p` and `p/*`). */
const maxPathPatterns = 5;

export const pathPatterns = (prefixes: readonly string[]) => prefixes.flatMap((p) => [p, `${p}/*`]);

export interface AppTarget {
  listener: AlbListener;
  app: AppName;
  targetGroup: LbTargetGroup;
}

export interface LoadBalancersProps {
  environment: Environment;
  network: Network;
  logs: { bucket: S3Bucket; policy: S3BucketPolicy };
}

/**
 * The public and internal ALBs, their listeners and the rules generated from the route
 * table, one Lambda target group per (listener, app); access logs to the log bucket;
 * HTTPS with a redirect when the stage has a certificate; WAF on the public one.
 */
export class LoadBalancers extends Construct {
  readonly loadBalancers: Record<AlbListener, Lb>;
  readonly listeners: Record<AlbListener, LbListener>;
  readonly targets: AppTarget[] = [];
  readonly webAcl: Wafv2WebAcl;

  constructor(scope: Construct, id: string, { environment, network, logs }: LoadBalancersProps) {
    super(scope, id);
    const { stage } = environment;
    const balancer = (listener: AlbListener) =>
      new Lb(this, `alb-${listener}`, {
        name: `${stage}-${listener}`,
        loadBalancerType: 'application',
        internal: listener === 'internal',
        subnets: (listener === 'internal' ? network.privateSubnets : network.publicSubnets).map((s) => s.id),
        securityGroups: [network.albSecurityGroups[listener].id],
        dropInvalidHeaderFields: true,
        enableDeletionProtection: environment.deletionProtection,
        accessLogs: { bucket: logs.bucket.bucket, prefix: `${logPrefixes.alb}${listener}`, enabled: true },
        dependsOn: [logs.policy],
      });
    this.loadBalancers = { public: balancer('public'), internal: balancer('internal') };

    const notFound: LbListenerDefaultAction = {
      type: 'fixed-response',
      fixedResponse: {
        contentType: 'application/json',
        statusCode: '404',
        messageBody: JSON.stringify({ error: { code: 'NotFound', message: 'No route' } }),
      },
    };
    const certificate =
      environment.publicCertificateDomain &&
      new DataAwsAcmCertificate(this, 'public-certificate', {
        domain: environment.publicCertificateDomain,
        statuses: ['ISSUED'],
        mostRecent: true,
      });
    this.listeners = {
      public: certificate
        ? new LbListener(this, 'listener-public', {
            loadBalancerArn: this.loadBalancers.public.arn,
            port: 443,
            protocol: 'HTTPS',
            sslPolicy: tlsPolicy,
            certificateArn: certificate.arn,
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
        port: ports.internalAlb,
        protocol: 'HTTP',
        defaultAction: [notFound],
      }),
    };
    if (certificate) {
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
        listenerArn: this.listeners[route.listener].arn,
        priority: route.priority,
        condition: [{ pathPattern: { values: patterns } }],
        action: [{ type: 'forward', targetGroupArn: targetGroupFor(route.listener, route.app).arn }],
      });
    }

    this.webAcl = createWebAcl(this, 'public', {
      scope: 'REGIONAL',
      stage,
      waf: environment.waf,
      logRetentionDays: environment.logRetentionDays,
    });
    new Wafv2WebAclAssociation(this, 'public-waf', {
      resourceArn: this.loadBalancers.public.arn,
      webAclArn: this.webAcl.arn,
    });
  }
}

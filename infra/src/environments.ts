import { fileURLToPath } from 'node:url';
import { deployedArchitecture, lambdaArchitectures, lambdaPackage } from '@stateless/lambda-build/deployment';
import { type AppName, functionMemoryMb } from '@stateless/topology';

/** Where `terraform` keeps state for a stage. Cross-stack references read the producer's state from here. */
export type StateBackend =
  | { kind: 'local' }
  /** S3 state with S3-native locking (Terraform >= 1.10); create the bucket once, by hand. */
  | { kind: 's3'; bucket: string; region: string };

export interface LambdaSettings {
  /** The deployment package, built elsewhere (relative to infra/ or absolute). Synth never reads it; plan hashes it. */
  zipPath: string;
  handler: string;
  memoryMb: number;
  timeoutSeconds: number;
  architecture: 'x86_64' | 'arm64';
}

/** An EventBridge rate expression (`rate(1 minute)`, `rate(15 minutes)`, `rate(2 hours)`). */
export type RateExpression = `rate(${number} ${'minute' | 'minutes' | 'hour' | 'hours' | 'day' | 'days'})`;

/**
 * Everything that differs between environments. Stacks take one of these and
 * nothing else; dev and prod run the same code.
 */
export interface Environment {
  /** Feeds `resourceNames(stage)`: the same names the local cloud uses. */
  stage: string;
  region: string;
  network: {
    cidr: string;
    /** One public and one private subnet per zone; ALBs need at least two zones. */
    availabilityZones: readonly string[];
    /** Private subnets reach the internet (identity provider's JWKS) through NAT. */
    natGateways: 'single' | 'per-zone';
  };
  /**
   * The public ALB's domain: the issued ACM certificate for it is looked up, and the ALB serves
   * HTTPS on 443 (TLS 1.2+) and redirects 80 there. Unset, plain HTTP on 80 (a stage without a
   * certificate; the checkov skips say so).
   */
  publicCertificateDomain?: string;
  /** The public ALB's WAF: AWS managed rule sets plus a per-IP rate rule. */
  waf: { requestsPerFiveMinutesPerIp: number };
  /** More than one cluster turns on multi-AZ automatic failover. */
  redis: { nodeType: string; engineVersion: string; cacheClusters: number };
  /**
   * The web console (the `web` stack): CloudFront in front of its bucket and the public ALB.
   * `domain`: its own name, served with the issued ACM certificate for it (TLS 1.2+); unset,
   * the distribution's *.cloudfront.net name and certificate (a stage without a domain; the
   * checkov skips say so). `identityDomainPrefix`: the Cognito hosted sign-in's subdomain.
   */
  web: { domain?: string; identityDomainPrefix: string };
  bucket: {
    /** Browser origins allowed to upload besides the console's own (which the web stack adds). */
    corsAllowedOrigins: readonly string[];
    forceDestroy: boolean;
    /** Overwritten or deleted object versions stay this long (versioning is on). */
    noncurrentVersionDays: number;
  };
  deletionProtection: boolean;
  /** CloudWatch log groups (Lambda, Step Functions, WAF). */
  logRetentionDays: number;
  /** ALB, S3 access and VPC flow logs in the log bucket. */
  accessLogDays: number;
  /** Who the stage's alarm topic notifies (SNS email subscriptions; each confirms once). */
  alarmEmails: readonly string[];
  lambdas: Record<AppName, LambdaSettings>;
  /**
   * How often the data-api Lambda sweeps deleted assets whose S3 objects outlived their
   * DELETE (its cleanup failed): roughly how long such objects stay.
   */
  sweepDeletedEvery: RateExpression;
  /**
   * Plain (non-secret) values of optional app variables, per app, e.g. the
   * identity provider. Required variables come from stack outputs or secrets.
   */
  appSettings: Record<AppName, Readonly<Record<string, string>>>;
  stateBackend: StateBackend;
  tags: Readonly<Record<string, string>>;
}

/** The infra/ directory: relative paths in the config resolve against it. */
export const infraDir = fileURLToPath(new URL('..', import.meta.url));

/** Every function's settings; `memory` overrides the dev sizes the local cloud also runs (`functionMemoryMb`). */
const lambdas = (memory: Partial<Record<AppName, number>> = {}): Record<AppName, LambdaSettings> => {
  const settings = (app: AppName, timeoutSeconds: number): LambdaSettings => ({
    // What the app's `build` script (lambda-build) writes.
    zipPath: `../apps/${app}/${lambdaPackage.outDir}/${lambdaPackage.zip}`,
    handler: lambdaPackage.handler,
    memoryMb: memory[app] ?? functionMemoryMb[app],
    timeoutSeconds,
    // The one constant lambda-build also ships native binaries (sharp's) for.
    architecture: lambdaArchitectures[deployedArchitecture].lambda,
  });
  return {
    'data-api': settings('data-api', 15),
    // Signs and records only; the upload events queue's visibility timeout is six times this.
    'upload-service': settings('upload-service', 10),
    'workflow-worker': settings('workflow-worker', 300),
  };
};

export const environments = {
  dev: {
    stage: 'dev',
    region: 'us-east-1',
    network: { cidr: '10.20.0.0/16', availabilityZones: ['us-east-1a', 'us-east-1b'], natGateways: 'single' },
    waf: { requestsPerFiveMinutesPerIp: 2000 },
    web: { identityDomainPrefix: 'stateless-stack-dev' },
    redis: { nodeType: 'cache.t4g.micro', engineVersion: '7.1', cacheClusters: 1 },
    bucket: {
      corsAllowedOrigins: [],
      forceDestroy: true,
      noncurrentVersionDays: 3,
    },
    deletionProtection: false,
    logRetentionDays: 7,
    accessLogDays: 14,
    alarmEmails: [],
    lambdas: lambdas(),
    sweepDeletedEvery: 'rate(15 minutes)',
    appSettings: {
      'data-api': { LOG_LEVEL: 'debug' },
      'upload-service': { LOG_LEVEL: 'debug' },
      'workflow-worker': { LOG_LEVEL: 'debug' },
    },
    stateBackend: { kind: 'local' },
    tags: { project: 'stateless-stack', stage: 'dev' },
  },
  prod: {
    stage: 'prod',
    region: 'us-east-1',
    network: {
      cidr: '10.30.0.0/16',
      availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
      natGateways: 'per-zone',
    },
    publicCertificateDomain: 'api.example.com',
    waf: { requestsPerFiveMinutesPerIp: 2000 },
    web: { domain: 'app.example.com', identityDomainPrefix: 'stateless-stack' },
    redis: { nodeType: 'cache.r7g.large', engineVersion: '7.1', cacheClusters: 2 },
    bucket: {
      corsAllowedOrigins: [],
      forceDestroy: false,
      noncurrentVersionDays: 30,
    },
    deletionProtection: true,
    logRetentionDays: 365,
    accessLogDays: 365,
    alarmEmails: ['oncall@example.com'],
    lambdas: lambdas({ 'data-api': 1024, 'workflow-worker': 2048 }),
    sweepDeletedEvery: 'rate(5 minutes)',
    appSettings: {
      'data-api': {},
      'upload-service': {},
      'workflow-worker': {},
    },
    stateBackend: { kind: 's3', bucket: 'stateless-stack-terraform-state-prod', region: 'us-east-1' },
    tags: { project: 'stateless-stack', stage: 'prod' },
  },
} as const satisfies Record<string, Environment>;

export type EnvironmentName = keyof typeof environments;

const isEnvironmentName = (name: string): name is EnvironmentName => Object.hasOwn(environments, name);

/** The one place infra reads the process environment: `STAGE` selects the environment (default dev). */
export function selectedEnvironment(env: Record<string, string | undefined> = process.env): Environment {
  const name = env.STAGE?.trim() || 'dev';
  if (!isEnvironmentName(name)) {
    throw new Error(
      `STAGE=${name} is not an environment; use one of: ${Object.keys(environments).join(', ')}`,
    );
  }
  return environments[name];
}

/**
 * The reviewed checkov findings: every failed check of `checkov --framework terraform_json`
 * over a stage's synthesized stacks must match one entry here, with a one-line reason for
 * that stage, or `pnpm test` fails (test/checkov.test.ts). An entry that no longer matches
 * a finding fails too, so the list only shrinks by deleting lines. Review: a change to this
 * file needs a second approver (CODEOWNERS: security), like permissions.ts.
 *
 * `resources` narrows an entry to resources whose checkov name contains one of the strings
 * (the construct path, e.g. `alb-public-ingress-80`); without it, every resource of the check.
 */
export type Stage = 'dev' | 'prod';

export interface Skip {
  reason: string;
  resources?: readonly string[];
}

export interface ReviewedCheck {
  /** checkov's title, for whoever reads this file. */
  title: string;
  stages: Partial<Record<Stage, Skip>>;
}

const both = (skip: Skip): Partial<Record<Stage, Skip>> => ({ dev: skip, prod: skip });

export const reviewedChecks: Record<string, ReviewedCheck> = {
  // --- Customer-managed KMS keys: a cost and key-policy choice, the same in both stages.
  CKV_AWS_158: {
    title: 'CloudWatch Log Group is encrypted by KMS',
    stages: both({
      reason:
        'CloudWatch Logs encrypts at rest with its own keys; a CMK per log group ($1/month each plus key policies) is not bought yet',
    }),
  },
  CKV_AWS_119: {
    title: 'DynamoDB table encrypted with a KMS customer-managed key',
    stages: both({
      reason:
        'SSE with the AWS-owned key is on (server_side_encryption.enabled); a CMK adds cost and a key to keep',
    }),
  },
  CKV_AWS_191: {
    title: 'ElastiCache replication group encrypted with a KMS CMK',
    stages: both({
      reason:
        'at-rest encryption is on with the ElastiCache-managed key; cache contents are rebuildable from DynamoDB',
    }),
  },
  CKV_AWS_149: {
    title: 'Secrets Manager secret encrypted with a KMS CMK',
    stages: both({
      reason:
        'encrypted with the aws/secretsmanager key; only this account reads it, so a CMK adds no isolation here',
    }),
  },
  CKV_AWS_145: {
    title: 'S3 bucket encrypted with KMS by default',
    stages: both({
      reason:
        'SSE-S3 on purpose: ALB access logs can only be delivered to SSE-S3 buckets, and presigned browser uploads then need no KMS grant',
    }),
  },
  CKV_AWS_173: {
    title: 'Lambda environment variables encrypted with a CMK',
    stages: both({
      reason:
        'encrypted at rest with the Lambda service key; secrets come from Secrets Manager and a CMK would only add cost',
    }),
  },
  CKV_AWS_26: {
    title: 'SNS topic encrypted',
    stages: both({
      reason:
        'CloudWatch alarms cannot publish to a topic under the AWS-managed SNS key; alarm texts carry no data worth a CMK',
    }),
  },
  // --- Replication and rotation.
  CKV_AWS_144: {
    title: 'S3 bucket has cross-region replication',
    stages: {
      dev: { reason: 'dev data is disposable' },
      prod: {
        reason:
          'single-region system; versioning keeps overwritten and deleted objects, cross-region DR is a later, costed decision',
      },
    },
  },
  CKV2_AWS_57: {
    title: 'Secrets Manager secret has automatic rotation',
    stages: both({
      reason:
        'seeded randomly once; rotation is by hand (put-secret-value, then redeploy, see infra/README.md) until a rotation Lambda exists',
    }),
  },
  // --- Lambda.
  CKV_AWS_115: {
    title: 'Lambda function-level concurrent execution limit',
    stages: both({
      reason:
        'reserved concurrency would carve the account pool per function; throttles alarm instead, and DynamoDB is on-demand',
    }),
  },
  CKV_AWS_272: {
    title: 'Lambda validates code signing',
    stages: both({
      reason:
        'zips are built by CI from the repository and deployed by Terraform; a Signer profile is not set up yet',
    }),
  },
  CKV_AWS_116: {
    title: 'Lambda function has a dead-letter queue',
    stages: both({
      reason:
        'invoked synchronously only (ALB, Step Functions, SQS event source mapping with its own DLQ): errors return to the caller; data-api, invoked asynchronously by its schedule, has one',
      resources: ['service_function', 'worker_function'],
    }),
  },
  CKV_AWS_338: {
    title: 'CloudWatch log groups keep logs for at least a year',
    stages: { dev: { reason: 'dev keeps 7 days (logRetentionDays); prod keeps 365' } },
  },
  // --- Step Functions.
  CKV_AWS_285: {
    title: 'State machine logs execution data',
    stages: both({
      reason:
        'level ALL is on; execution data (inputs/outputs, with user metadata) is kept out of logs on purpose',
    }),
  },
  // --- Network and load balancers.
  CKV_AWS_260: {
    title: 'No security group ingress from 0.0.0.0/0 to port 80',
    stages: {
      dev: {
        reason:
          'public ALB: dev has no certificate and serves HTTP; internal rules reference app security groups, no CIDR (checkov reads the missing CIDR as open)',
        resources: ['alb-public-ingress-80', 'alb-internal-from-'],
      },
      prod: {
        reason:
          'public ALB: port 80 only redirects to HTTPS; internal rules reference app security groups, no CIDR (checkov reads the missing CIDR as open)',
        resources: ['alb-public-ingress-80', 'alb-internal-from-'],
      },
    },
  },
  CKV2_AWS_5: {
    title: 'Security groups are attached to a resource',
    stages: both({
      reason:
        'the app security groups are attached to the Lambda functions in the app stacks, which checkov scans separately',
      resources: ['sg-app-'],
    }),
  },
  CKV_AWS_2: {
    title: 'ALB listener protocol is HTTPS',
    stages: {
      dev: {
        reason: 'dev has no certificate configured (publicCertificateDomain unset): plain HTTP, internal too',
        resources: ['listener-public', 'listener-internal'],
      },
      prod: {
        reason:
          'internal ALB only: reachable from app security groups inside the VPC; TLS there needs a private CA or an internal name under the certificate',
        resources: ['listener-internal'],
      },
    },
  },
  CKV_AWS_103: {
    title: 'Load balancer uses at least TLS 1.2',
    stages: {
      dev: {
        reason: 'dev serves plain HTTP (no certificate), so no TLS policy applies',
        resources: ['listener-public', 'listener-internal'],
      },
      prod: {
        reason: 'internal ALB serves HTTP inside the VPC (see CKV_AWS_2); the public one uses TLS13-1-2',
        resources: ['listener-internal'],
      },
    },
  },
  CKV2_AWS_20: {
    title: 'ALB redirects HTTP to HTTPS',
    stages: {
      dev: {
        reason: 'dev has no certificate: nothing to redirect to',
        resources: ['alb-public', 'alb-internal'],
      },
      prod: {
        reason: 'internal ALB serves HTTP only (see CKV_AWS_2); the public one redirects 80 to 443',
        resources: ['alb-internal'],
      },
    },
  },
  CKV_AWS_150: {
    title: 'Load balancer has deletion protection',
    stages: {
      dev: { reason: 'dev is torn down and rebuilt freely (deletionProtection: false); prod has it' },
    },
  },
  CKV2_AWS_76: {
    title: 'WAF on the ALB has the Log4j managed rules',
    stages: both({
      reason:
        'KnownBadInputs (the Log4j rules) is on; the check also wants AnonymousIpList, which blocks VPN and cloud-hosted users of a public upload API',
      resources: ['alb-public'],
    }),
  },
  // --- Data stores.
  CKV2_AWS_50: {
    title: 'Redis has Multi-AZ automatic failover',
    stages: {
      dev: {
        reason:
          'one cache.t4g.micro node in dev (cost); the cache falls back to DynamoDB when Redis is down; prod has a replica with failover',
      },
    },
  },
  CKV2_AWS_62: {
    title: 'S3 bucket has event notifications',
    stages: both({
      reason:
        'the log bucket and the console bucket: nothing reacts to log objects or to the build files Terraform uploads (the assets bucket sends its events to EventBridge)',
      resources: ['logs_archive_bucket', 'console_bucket'],
    }),
  },

  // --- The web console's CloudFront distribution (web stack).
  CKV_AWS_86: {
    title: 'CloudFront distribution has access logging enabled',
    stages: both({
      reason:
        'standard logging v2 (aws_cloudwatch_log_delivery) writes access logs to the log bucket; checkov reads only the legacy logging_config, which needs bucket ACLs the log bucket disables',
    }),
  },
  CKV_AWS_374: {
    title: 'CloudFront distribution has geo restriction enabled',
    stages: both({ reason: 'the console is offered worldwide; blocking countries is a business decision' }),
  },
  CKV_AWS_310: {
    title: 'CloudFront distribution has origin failover configured',
    stages: both({
      reason:
        'one region: a failover origin needs a replicated console bucket and API in a second region, not bought yet',
    }),
  },
  CKV2_AWS_47: {
    title: 'CloudFront WAFv2 web ACL has the AMR for Log4j',
    stages: both({
      reason:
        'KnownBadInputs (the Log4j rule group) is on; the check also demands AnonymousIpList, which would lock out VPN and cloud-desktop users: a product decision',
    }),
  },
  CKV_AWS_174: {
    title: 'CloudFront viewer certificate uses TLS 1.2 or higher',
    stages: {
      dev: {
        reason:
          'dev has no console domain: the *.cloudfront.net certificate, whose protocol floor CloudFront sets; prod serves its domain with TLSv1.2_2021',
      },
    },
  },
  CKV2_AWS_42: {
    title: 'CloudFront distribution uses a custom SSL certificate',
    stages: {
      dev: {
        reason: 'dev has no console domain (web.domain unset): the default *.cloudfront.net certificate',
      },
    },
  },
};

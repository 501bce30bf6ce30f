import { CloudwatchLogGroup } from '@cdktn/provider-aws/lib/cloudwatch-log-group/index.js';
import { Wafv2WebAcl } from '@cdktn/provider-aws/lib/wafv2-web-acl/index.js';
import { Wafv2WebAclLoggingConfiguration } from '@cdktn/provider-aws/lib/wafv2-web-acl-logging-configuration/index.js';
import type { Construct } from 'constructs';
import type { Environment } from '../environments.ts';

/** AWS managed rule groups, in evaluation order after the rate rule. */
export const managedRuleGroups = ['AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet'];

export interface WebAclProps {
  /** REGIONAL for an ALB; CLOUDFRONT for a distribution (created in us-east-1). */
  scope: 'REGIONAL' | 'CLOUDFRONT';
  stage: string;
  waf: Environment['waf'];
  logRetentionDays: number;
}

/**
 * A web ACL named `<stage>-<name>`: a per-IP rate rule, then the AWS managed rule groups,
 * logging to its own log group with bearer tokens redacted. One rule set for every entry.
 */
export function createWebAcl(scope: Construct, name: string, props: WebAclProps) {
  const { stage, waf, logRetentionDays } = props;
  const visibility = (metricName: string) => ({
    cloudwatchMetricsEnabled: true,
    sampledRequestsEnabled: true,
    metricName,
  });
  const acl = new Wafv2WebAcl(scope, `${name}-web-acl`, {
    name: `${stage}-${name}`,
    description: 'AWS managed common and known-bad-input rules, and a per-IP rate limit',
    scope: props.scope,
    defaultAction: { allow: {} },
    visibilityConfig: visibility(`${stage}-${name}`),
    rule: [
      {
        name: 'rate-per-ip',
        priority: 0,
        action: { block: {} },
        statement: {
          rate_based_statement: {
            limit: waf.requestsPerFiveMinutesPerIp,
            aggregate_key_type: 'IP',
            evaluation_window_sec: 300,
          },
        },
        visibilityConfig: visibility(`${stage}-${name}-rate-per-ip`),
      },
      ...managedRuleGroups.map((group, index) => ({
        name: group,
        priority: index + 1,
        overrideAction: { none: {} },
        statement: { managed_rule_group_statement: { name: group, vendor_name: 'AWS' } },
        visibilityConfig: visibility(`${stage}-${name}-${group}`),
      })),
    ],
  });
  // WAF only logs to groups whose name starts with aws-waf-logs-.
  const logGroup = new CloudwatchLogGroup(scope, `${name}-waf-logs`, {
    name: `aws-waf-logs-${stage}-${name}`,
    retentionInDays: logRetentionDays,
  });
  new Wafv2WebAclLoggingConfiguration(scope, `${name}-waf-logging`, {
    resourceArn: acl.arn,
    logDestinationConfigs: [logGroup.arn],
    // Bearer tokens never reach the logs.
    redactedFields: [{ singleHeader: { name: 'authorization' } }],
  });
  return acl;
}

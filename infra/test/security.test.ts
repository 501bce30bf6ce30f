import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { routes } from '@stateless/topology';
import { describe, expect, it } from 'vitest';
import { type Environment, environments } from '../src/environments.ts';
import { tlsPolicy } from '../src/platform/load-balancers.ts';
import { type Block, onlyResource, resolveRefs, resources, stack, stackNames } from './synth.ts';

// What checkov checks too, asserted here on the synthesized JSON itself: a skip added to the
// reviewed file can silence checkov, not these.

const platform = (environment: 'dev' | 'prod') => stack('platform', environment);
const albKey = (environment: 'dev' | 'prod', listener: 'public' | 'internal') => {
  const found = resources(platform(environment), 'aws_lb').find(
    ([, lb]) => lb.internal === (listener === 'internal'),
  );
  if (!found) throw new Error(`no ${listener} ALB in ${environment}`);
  return found[0];
};
const listenersOf = (environment: 'dev' | 'prod', listener: 'public' | 'internal') =>
  resources(platform(environment), 'aws_lb_listener')
    .map(([key, l]) => [key, l] as const)
    .filter(([, l]) => l.load_balancer_arn === `\${aws_lb.${albKey(environment, listener)}.arn}`);

describe('the public ALB in prod (a certificate is configured)', () => {
  const domain = environments.prod.publicCertificateDomain;

  it('serves HTTPS on 443 with the TLS 1.2+ policy and the issued ACM certificate of the configured domain', () => {
    expect(domain).toBeTruthy();
    const https = listenersOf('prod', 'public').filter(([, l]) => l.protocol === 'HTTPS');
    expect(https).toHaveLength(1);
    const [, listener] = https[0] as [string, Block];
    expect(listener).toMatchObject({ port: 443, ssl_policy: tlsPolicy });
    expect(tlsPolicy).toMatch(/TLS13-1-2/);
    const certificates = Object.entries(platform('prod').data?.aws_acm_certificate ?? {});
    expect(certificates).toHaveLength(1);
    const [certificateKey, certificate] = certificates[0] as [string, Block];
    expect(certificate).toMatchObject({ domain, statuses: ['ISSUED'] });
    expect(listener.certificate_arn).toBe(`\${data.aws_acm_certificate.${certificateKey}.arn}`);
  });

  it('answers plain HTTP on 80 only with a permanent redirect to HTTPS, and routes nothing there', () => {
    const http = listenersOf('prod', 'public').filter(([, l]) => l.protocol === 'HTTP');
    expect(http).toHaveLength(1);
    const [httpKey, listener] = http[0] as [string, Block];
    expect(listener.port).toBe(80);
    expect(listener.default_action).toEqual([
      { type: 'redirect', redirect: { port: '443', protocol: 'HTTPS', status_code: 'HTTP_301' } },
    ]);
    const onHttp = resources(platform('prod'), 'aws_lb_listener_rule').filter(
      ([, rule]) => rule.listener_arn === `\${aws_lb_listener.${httpKey}.arn}`,
    );
    expect(onHttp).toEqual([]);
    const publicRules = resources(platform('prod'), 'aws_lb_listener_rule').filter(([, rule]) =>
      listenersOf('prod', 'public').some(([key]) => rule.listener_arn === `\${aws_lb_listener.${key}.arn}`),
    );
    expect(publicRules).toHaveLength(routes.filter((r) => r.listener === 'public').length);
  });
});

describe('the public ALB in dev (no certificate configured)', () => {
  it('serves plain HTTP on 80 only, as the stage says', () => {
    const dev: Environment = environments.dev;
    expect(dev.publicCertificateDomain).toBeUndefined();
    const listeners = listenersOf('dev', 'public').map(([, l]) => [l.port, l.protocol]);
    expect(listeners).toEqual([[80, 'HTTP']]);
  });
});

describe.each(['dev', 'prod'] as const)('%s', (environment) => {
  it('puts the WAF (AWS managed common rules and a per-IP rate rule from config) on the public ALB only', () => {
    const [aclKey, acl] = onlyResource(platform(environment), 'aws_wafv2_web_acl');
    const [, association] = onlyResource(platform(environment), 'aws_wafv2_web_acl_association');
    expect(association).toMatchObject({
      resource_arn: `\${aws_lb.${albKey(environment, 'public')}.arn}`,
      web_acl_arn: `\${aws_wafv2_web_acl.${aclKey}.arn}`,
    });
    expect(acl).toMatchObject({ scope: 'REGIONAL', default_action: { allow: {} } });
    const rules = acl.rule as Block[];
    const managed = rules.map((r) => (r.statement as Block).managed_rule_group_statement).filter(Boolean);
    expect(managed).toContainEqual({ name: 'AWSManagedRulesCommonRuleSet', vendor_name: 'AWS' });
    const rateRule = rules.find((r) => (r.statement as Block).rate_based_statement);
    if (!rateRule) throw new Error('no rate-based rule');
    expect(rateRule.action).toEqual({ block: {} });
    expect((rateRule.statement as Block).rate_based_statement).toMatchObject({
      aggregate_key_type: 'IP',
      limit: environments[environment].waf.requestsPerFiveMinutesPerIp,
    });
  });

  it('logs both ALBs to the log bucket; deletion protection as the stage says', () => {
    for (const listener of ['public', 'internal'] as const) {
      const lb = platform(environment).resource?.aws_lb?.[albKey(environment, listener)] as Block;
      expect(lb.access_logs).toMatchObject({ enabled: true, prefix: `alb/${listener}` });
      expect(resolveRefs(String((lb.access_logs as Block).bucket), 'platform', environment)).toMatch(
        /^\$\{platform:aws_s3_bucket\.logs_[^.]+\.bucket\}$/,
      );
      expect(lb.enable_deletion_protection).toBe(environments[environment].deletionProtection);
      expect(lb.drop_invalid_header_fields).toBe(true);
    }
    if (environment === 'prod') expect(environments.prod.deletionProtection).toBe(true);
  });

  it('logs every state machine event (ALL) without execution data, to its log group, and traces it', () => {
    const [, machine] = onlyResource(stack('workflow', environment), 'aws_sfn_state_machine');
    expect(machine.logging_configuration).toMatchObject({ level: 'ALL', include_execution_data: false });
    const destination = String((machine.logging_configuration as Block).log_destination);
    const groupKey = /^\$\{aws_cloudwatch_log_group\.([^.]+)\.arn\}:\*$/.exec(destination)?.[1];
    const group = stack('workflow', environment).resource?.aws_cloudwatch_log_group?.[groupKey ?? ''];
    expect(group?.retention_in_days).toBe(environments[environment].logRetentionDays);
    expect(machine.tracing_configuration).toEqual({ enabled: true });
  });

  it('traces every Lambda function with X-Ray', () => {
    const functions = stackNames.flatMap((name) =>
      resources(stack(name, environment), 'aws_lambda_function'),
    );
    expect(functions.length).toBeGreaterThanOrEqual(3);
    for (const [key, fn] of functions) expect([key, fn.tracing_config]).toEqual([key, { mode: 'Active' }]);
  });
});

describe('review', () => {
  it('CODEOWNERS asks the security team to review the checkov skips and the permissions', () => {
    const owners = readFileSync(fileURLToPath(new URL('../../.github/CODEOWNERS', import.meta.url)), 'utf8')
      .split('\n')
      .filter((line) => line.trim() && !line.startsWith('#'))
      .map((line) => line.trim().split(/\s+/));
    for (const path of ['/infra/checkov-skips.ts', '/infra/src/permissions.ts']) {
      const entry = owners.find(([pattern]) => pattern === path);
      expect(entry?.slice(1)).toEqual(['@stateless-stack/security']);
      expect(existsSync(fileURLToPath(new URL(`../..${path}`, import.meta.url)))).toBe(true);
    }
  });
});

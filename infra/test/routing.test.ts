import { variablesOf } from '@stateless/config';
import { health, matchesPrefix, routes } from '@stateless/topology';
import { describe, expect, it } from 'vitest';
import { envSchemas } from '../src/app-env.ts';
import { pathPatterns } from '../src/platform-stack.ts';
import {
  type Block,
  manifest,
  onlyResource,
  ref,
  resolveRefs,
  resources,
  stack,
  stackNames,
} from './synth.ts';

const platform = () => stack('platform');
const idOf = (reference: unknown, type: string) => {
  const match = new RegExp(`^\\$\\{${type}\\.([^.]+)\\.`).exec(String(reference));
  if (!match?.[1]) throw new Error(`not a ${type} reference: ${String(reference)}`);
  return match[1];
};

/** Which app each target group's Lambda is: from the attachments in the app stacks. */
function appsByTargetGroup() {
  const owners = new Map<string, string>();
  for (const name of ['data-api', 'upload-service'] as const) {
    for (const [, attachment] of resources(stack(name), 'aws_lb_target_group_attachment')) {
      const target = resolveRefs(String(attachment.target_group_arn), name);
      const id = /^\$\{platform:aws_lb_target_group\.([^.]+)\.arn\}$/.exec(target)?.[1];
      if (!id) throw new Error(`attachment in ${name} is not a platform target group: ${target}`);
      owners.set(id, name);
    }
  }
  return owners;
}

/** Every listener rule as (ALB kind, priority, path patterns, app). */
function synthesizedRules() {
  const p = platform();
  const listeners = Object.fromEntries(resources(p, 'aws_lb_listener'));
  const balancers = Object.fromEntries(resources(p, 'aws_lb'));
  const owners = appsByTargetGroup();
  return resources(p, 'aws_lb_listener_rule').map(([, rule]) => {
    const listener = listeners[idOf(rule.listener_arn, 'aws_lb_listener')] as Block;
    const balancer = balancers[idOf(listener.load_balancer_arn, 'aws_lb')] as Block;
    const conditions = rule.condition as { path_pattern: { values: string[] } }[];
    const actions = rule.action as { type: string; target_group_arn: string }[];
    expect(conditions).toHaveLength(1);
    expect(actions).toHaveLength(1);
    return {
      listener: balancer.internal ? 'internal' : 'public',
      priority: rule.priority,
      patterns: conditions[0]?.path_pattern.values,
      action: actions[0]?.type,
      app: owners.get(idOf(actions[0]?.target_group_arn, 'aws_lb_target_group')),
    };
  });
}

describe('stacks', () => {
  it('are exactly platform, workflow, upload-service, data-api, web, with references flowing from platform', () => {
    const { stacks } = manifest();
    expect(Object.keys(stacks).sort()).toEqual([...stackNames].sort());
    expect(stacks.platform?.dependencies).toEqual([]);
    expect(stacks.workflow?.dependencies).toEqual(['platform']);
    expect([...(stacks['data-api']?.dependencies ?? [])].sort()).toEqual(['platform', 'web']);
    // An app that verifies user tokens takes the user pool from web.
    const verifiesTokens = variablesOf(envSchemas['upload-service']).some((v) => v.name === 'AUTH_JWKS_URL');
    expect([...(stacks['upload-service']?.dependencies ?? [])].sort()).toEqual(
      verifiesTokens ? ['platform', 'web', 'workflow'] : ['platform', 'workflow'],
    );
    expect(stacks.web?.dependencies).toEqual(['platform']);
  });
});

describe('ALB routing', () => {
  it('has one listener rule per ALB route, matching the route table exactly', () => {
    const expected = routes
      .filter((route) => route.listener !== 'lambda')
      .map((route) => ({
        listener: route.listener,
        priority: route.priority,
        patterns: route.pathPrefixes.flatMap((prefix) => [prefix, `${prefix}/*`]),
        action: 'forward',
        app: route.app,
      }));
    const byKey = (a: { listener: string; priority: unknown }) => `${a.listener}:${a.priority}`;
    const sort = <T extends { listener: string; priority: unknown }>(list: T[]) =>
      [...list].sort((a, b) => byKey(a).localeCompare(byKey(b)));
    expect(sort(synthesizedRules())).toEqual(sort(expected));
    expect(pathPatterns(['/x'])).toEqual(['/x', '/x/*']);
  });

  it('never puts an internal prefix on the public ALB', () => {
    const internalPrefixes = routes.filter((r) => r.listener === 'internal').flatMap((r) => r.pathPrefixes);
    expect(internalPrefixes.length).toBeGreaterThan(0);
    const publicPatterns = synthesizedRules()
      .filter((rule) => rule.listener === 'public')
      .flatMap((rule) => rule.patterns ?? []);
    for (const pattern of publicPatterns) {
      const path = pattern.replace(/\/\*$/, '');
      for (const prefix of internalPrefixes) {
        expect(matchesPrefix(path, prefix) || matchesPrefix(prefix, path), `${pattern} vs ${prefix}`).toBe(
          false,
        );
      }
    }
  });

  it('answers unmatched paths with a 404 instead of forwarding them', () => {
    for (const [, listener] of resources(platform(), 'aws_lb_listener')) {
      const [action] = listener.default_action as { type: string }[];
      expect(['fixed-response', 'redirect']).toContain(action?.type);
    }
  });

  it('has Lambda target groups health-checked on the live endpoint', () => {
    const groups = resources(platform(), 'aws_lb_target_group');
    expect(groups).toHaveLength(new Set(synthesizedRules().map((r) => `${r.listener}:${r.app}`)).size);
    for (const [, group] of groups) {
      expect(group.target_type).toBe('lambda');
      expect(group.health_check).toMatchObject({ enabled: true, path: health.live });
    }
  });

  it('puts the public ALB on public subnets and the internal one on private subnets', () => {
    const p = platform();
    const subnets = Object.fromEntries(resources(p, 'aws_subnet'));
    for (const [, balancer] of resources(p, 'aws_lb')) {
      const kinds = (balancer.subnets as string[]).map(
        (s) => ((subnets[idOf(s, 'aws_subnet')] as Block).tags as Record<string, string>).Name,
      );
      const want = balancer.internal ? /-private-/ : /-public-/;
      for (const name of kinds) expect(name).toMatch(want);
      expect(balancer.drop_invalid_header_fields).toBe(true);
    }
  });

  it("tells the data-api function which target group is the internal ALB's", () => {
    const [, fn] = onlyResource(stack('data-api'), 'aws_lambda_function');
    const { variables } = fn.environment as { variables: Record<string, string> };
    expect(resolveRefs(String(variables.INTERNAL_TARGET_GROUP_ARN), 'data-api')).toBe(
      ref('platform', 'aws_lb_target_group', 'load-balancers_tg-internal-data-api', 'arn'),
    );
  });

  it('lets the load balancer invoke each app only through its own target groups', () => {
    for (const name of ['data-api', 'upload-service'] as const) {
      const s = stack(name);
      // The data-api's other invoker, its sweep schedule, is checked in sweep-schedule.test.ts.
      const permissions = resources(s, 'aws_lambda_permission')
        .filter(([, p]) => p.principal !== 'events.amazonaws.com')
        .map(([, p]) => ({
          principal: p.principal,
          sourceArn: resolveRefs(String(p.source_arn), name),
        }));
      const attachments = resources(s, 'aws_lb_target_group_attachment').map(([, a]) => ({
        principal: 'elasticloadbalancing.amazonaws.com',
        sourceArn: resolveRefs(String(a.target_group_arn), name),
      }));
      expect(permissions).toEqual(attachments);
      const expectedGroups = routes
        .filter((r) => r.app === name && r.listener !== 'lambda')
        .map((r) => ref('platform', 'aws_lb_target_group', `load-balancers_tg-${r.listener}-${name}`, 'arn'));
      expect(attachments.map((a) => a.sourceArn).sort()).toEqual([...new Set(expectedGroups)].sort());
    }
  });
});

import { isSweepDeletedEvent } from '@stateless/contracts';
import { describe, expect, it } from 'vitest';
import { type EnvironmentName, environments } from '../src/environments.ts';
import { onlyResource, ref, resolveRefs, resources, stack } from './synth.ts';

const environmentNames = Object.keys(environments) as EnvironmentName[];

describe.each(environmentNames)('%s: the deleted-assets sweep schedule', (environment) => {
  const dataApi = () => stack('data-api', environment);
  const resolve = (value: unknown) => resolveRefs(String(value), 'data-api', environment);
  const functionRef = (attribute: string) =>
    ref('data-api', 'aws_lambda_function', onlyResource(dataApi(), 'aws_lambda_function')[0], attribute);
  const ruleRef = (attribute: string) =>
    ref(
      'data-api',
      'aws_cloudwatch_event_rule',
      onlyResource(dataApi(), 'aws_cloudwatch_event_rule')[0],
      attribute,
    );

  it("runs on a schedule at the environment's rate", () => {
    const [, rule] = onlyResource(dataApi(), 'aws_cloudwatch_event_rule');
    expect(rule).toMatchObject({
      name: `${environment}-data-api-sweep-deleted`,
      schedule_expression: environments[environment].sweepDeletedEvery,
    });
    expect(rule.event_pattern).toBeUndefined();
    expect(rule.state ?? 'ENABLED').toBe('ENABLED');
  });

  it('invokes the data-api function with a sweep event its handler accepts', () => {
    const [, target] = onlyResource(dataApi(), 'aws_cloudwatch_event_target');
    expect(resolve(target.rule)).toBe(ruleRef('name'));
    expect(resolve(target.arn)).toBe(functionRef('arn'));
    // The handler runs the sweep for exactly the events this guard accepts.
    expect(isSweepDeletedEvent(JSON.parse(String(target.input)))).toBe(true);
  });

  it('lets EventBridge invoke the function only for that rule', () => {
    const invokers = resources(dataApi(), 'aws_lambda_permission')
      .map(([, permission]) => permission)
      .filter((permission) => permission.principal !== 'elasticloadbalancing.amazonaws.com');
    expect(invokers).toHaveLength(1);
    const [permission] = invokers;
    expect(permission).toMatchObject({ principal: 'events.amazonaws.com', action: 'lambda:InvokeFunction' });
    expect(resolve(permission?.source_arn)).toBe(ruleRef('arn'));
    expect(resolve(permission?.function_name)).toBe(functionRef('function_name'));
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { StackName } from '../src/environment-stack.ts';
import type { EnvironmentName } from '../src/environments.ts';

export type Block = Record<string, unknown>;

export interface SynthStack {
  resource?: Record<string, Record<string, Block>>;
  data?: Record<string, Record<string, Block>>;
  output?: Record<string, { value: string }>;
  terraform: Block;
}

export const stackNames: readonly StackName[] = ['platform', 'workflow', 'upload-service', 'data-api', 'web'];

const cache = new Map<string, SynthStack>();

/** A stack's folder in the output, where Terraform runs: the synthesized JSON's paths are relative to it. */
export const stackDir = (name: StackName, environment: EnvironmentName = 'dev') =>
  join(inject('synthDirs')[environment], 'stacks', name);

/** The synthesized cdk.tf.json of one stack of one environment. */
export function stack(name: StackName, environment: EnvironmentName = 'dev'): SynthStack {
  const file = join(stackDir(name, environment), 'cdk.tf.json');
  let parsed = cache.get(file);
  if (!parsed) {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as SynthStack;
    cache.set(file, parsed);
  }
  return parsed;
}

export const manifest = (environment: EnvironmentName = 'dev') =>
  JSON.parse(readFileSync(join(inject('synthDirs')[environment], 'manifest.json'), 'utf8')) as {
    stacks: Record<string, { dependencies: string[] }>;
  };

export const resources = (s: SynthStack, type: string) => Object.entries(s.resource?.[type] ?? {});

export function onlyResource(s: SynthStack, type: string): [string, Block] {
  const all = resources(s, type);
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0] as [string, Block];
}

/**
 * Rewrites cross-stack references to what they point at: a remote-state output
 * of stack P whose value is `${aws_x.id.arn}` becomes `${P:aws_x.id.arn}`, and a
 * local `${aws_x.id.arn}` in stack S becomes `${S:aws_x.id.arn}`.
 */
export function resolveRefs(value: string, from: StackName, environment: EnvironmentName = 'dev'): string {
  return value.replace(/\$\{([^}]+)\}/g, (whole, expression: string) => {
    const remote =
      /^data\.terraform_remote_state\.cross-stack-reference-input-([a-z-]+)\.outputs\.(.+)$/.exec(expression);
    if (!remote) return /^(aws_|data\.aws_)/.test(expression) ? `\${${from}:${expression}}` : whole;
    const producer = remote[1] as StackName;
    const output = stack(producer, environment).output?.[remote[2] ?? ''];
    if (!output) throw new Error(`${producer} has no output ${remote[2]}`);
    return resolveRefs(output.value, producer, environment);
  });
}

/**
 * The key of a resource by its construct path: `network_sg-redis` finds `network_sg-redis_42007AC4`
 * (cdktn appends a hash to the ids of resources inside constructs). An exact key wins.
 */
export function resourceKey(
  stackName: StackName,
  type: string,
  path: string,
  environment: EnvironmentName = 'dev',
) {
  const keys = Object.keys(stack(stackName, environment).resource?.[type] ?? {});
  if (keys.includes(path)) return path;
  const matches = keys.filter(
    (key) => key.startsWith(`${path}_`) && /^[0-9A-F]{8}$/.test(key.slice(path.length + 1)),
  );
  return matches.length === 1 ? (matches[0] as string) : path;
}

export const ref = (stackName: StackName, type: string, id: string, attribute: string) =>
  `\${${stackName}:${type}.${resourceKey(stackName, type, id)}.${attribute}}`;

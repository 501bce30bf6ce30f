import { variablesOf } from '@stateless/config';
import { type AppName, apps } from '@stateless/topology';
import { describe, expect, it } from 'vitest';
import { envSchemas } from '../src/app-env.ts';
import type { StackName } from '../src/environment-stack.ts';
import type { EnvironmentName } from '../src/environments.ts';
import { type Block, onlyResource, resolveRefs, resources, stack, stackNames } from './synth.ts';

/**
 * Service tokens: one generated secret per stage, SERVICE_TOKEN_SECRET of the three apps (the
 * data API verifies with it, the upload service and the worker mint with it), and no one else's.
 */
const stages: EnvironmentName[] = ['dev', 'prod'];
const variable = 'SERVICE_TOKEN_SECRET';
const appStacks: Record<AppName, StackName> = {
  'data-api': 'data-api',
  'upload-service': 'upload-service',
  'workflow-worker': 'workflow',
};

describe.each(stages)('the service token secret in %s', (stage) => {
  const [secretId, secret] =
    resources(stack('platform', stage), 'aws_secretsmanager_secret').find(
      ([, s]) => s.name === `${stage}/shared/${variable}`,
    ) ?? [];
  const secretRef = `\${platform:aws_secretsmanager_secret.${secretId}.arn}`;
  /** The stacks' plan-time reads of the secret's value: [stack, data source id]. */
  const reads = stackNames.flatMap((name) =>
    Object.entries(stack(name, stage).data?.aws_secretsmanager_secret_version ?? {})
      .filter(([, read]) => resolveRefs(String(read.secret_id), name, stage) === secretRef)
      .map(([id]) => [name, id] as const),
  );

  it('is one Secrets Manager secret of the platform, seeded with a generated value Terraform never overwrites', () => {
    expect(secret).toBeDefined();
    const seeds = resources(stack('platform', stage), 'aws_secretsmanager_secret_version').filter(
      ([, version]) => String(version.secret_id) === `\${aws_secretsmanager_secret.${secretId}.id}`,
    );
    expect(seeds).toHaveLength(1);
    const [, seed] = seeds[0] as [string, Block];
    expect(String(seed.secret_string)).toMatch(
      /^\$\{data\.aws_secretsmanager_random_password\.[^.]+\.random_password\}$/,
    );
    expect(seed.lifecycle).toEqual({ ignore_changes: ['secret_string'] });
    expect(secret?.recovery_window_in_days).toBe(stage === 'prod' ? 30 : 0);
  });

  it('is SERVICE_TOKEN_SECRET of data-api, upload-service and workflow-worker, the apps whose schema reads it', () => {
    expect(
      apps.filter((app) => variablesOf(envSchemas[app]).some((v) => v.name === variable)).sort(),
    ).toEqual(['data-api', 'upload-service', 'workflow-worker']);
    for (const app of apps) {
      const name = appStacks[app];
      const [, fn] = onlyResource(stack(name, stage), 'aws_lambda_function');
      const value = (fn.environment as { variables: Record<string, string> }).variables[variable];
      const read = /^\$\{data\.aws_secretsmanager_secret_version\.([^.]+)\.secret_string\}$/.exec(
        value ?? '',
      )?.[1];
      expect(reads, app).toContainEqual([name, read]);
    }
  });

  it('is read by those three stacks only, once each, and by no IAM role', () => {
    expect(reads.map(([name]) => name).sort()).toEqual(['data-api', 'upload-service', 'workflow']);
    // The value reaches the functions through their environment at deploy time: no role needs
    // secretsmanager:GetSecretValue, so none has it (permissions.ts lists no Secrets Manager action).
    for (const name of stackNames) {
      for (const [, policy] of resources(stack(name, stage), 'aws_iam_role_policy')) {
        const document = resolveRefs(String(policy.policy), name, stage);
        expect(document, name).not.toContain('secretsmanager:');
        expect(document, name).not.toContain(secretRef);
      }
    }
  });
});

import { loadEnv, variablesOf } from '@stateless/config';
import { metricsNamespace } from '@stateless/observability';
import { type AppName, originalsPrefix, resourceNames } from '@stateless/topology';
import { describe, expect, it } from 'vitest';
import {
  envSchemas,
  isSecretVariable,
  runtimeProvidedVariables,
  sharedSecretVariables,
} from '../src/app-env.ts';
import type { StackName } from '../src/environment-stack.ts';
import { environments } from '../src/environments.ts';
import {
  anyResource,
  type Grant,
  lambdaDeadLetterPermissions,
  lambdaRuntimePermissions,
  permissions,
  type ResourceRef,
  stateMachineRuntimePermissions,
} from '../src/permissions.ts';
import { type Block, onlyResource, ref, resolveRefs, resources, stack, stackNames } from './synth.ts';

const appStacks: Record<AppName, StackName> = {
  'data-api': 'data-api',
  'upload-service': 'upload-service',
  'workflow-worker': 'workflow',
};
const appNames = Object.keys(appStacks) as AppName[];

const lambdaOf = (app: AppName) => onlyResource(stack(appStacks[app]), 'aws_lambda_function');
const environmentOf = (app: AppName) =>
  ((lambdaOf(app)[1].environment as { variables: Record<string, string> }).variables ?? {}) as Record<
    string,
    string
  >;

interface Statement {
  Sid: string;
  Effect: string;
  Action: string[];
  Resource: string[];
}
const statementsOf = (policy: Block, from: StackName) =>
  JSON.parse(resolveRefs(String(policy.policy), from)).Statement as Statement[];

const queueArn = (stackName: StackName, name: string) => {
  const found = resources(stack(stackName), 'aws_sqs_queue').find(([, q]) => q.name === name);
  return found ? ref(stackName, 'aws_sqs_queue', found[0], 'arn') : `no queue ${name}`;
};

/** The ARN each symbolic resource must resolve to, as a resolved reference. */
function expectedArns(app: AppName): Record<ResourceRef, string> {
  const platform = stack('platform');
  const [tableId] = onlyResource(platform, 'aws_dynamodb_table');
  const [bucketId] = resources(platform, 'aws_s3_bucket').find(
    ([, b]) => b.bucket === resourceNames('dev').assetsBucket,
  ) ?? ['no assets bucket'];
  const [machineId] = onlyResource(stack('workflow'), 'aws_sfn_state_machine');
  const [workerId] = onlyResource(stack('workflow'), 'aws_lambda_function');
  // The function's own log group (the workflow stack also holds the state machine's).
  const [logsId] = resources(stack(appStacks[app]), 'aws_cloudwatch_log_group').find(([, g]) =>
    String(g.name).startsWith('/aws/lambda/'),
  ) ?? ['no function log group'];
  const table = ref('platform', 'aws_dynamodb_table', tableId, 'arn');
  const bucket = ref('platform', 'aws_s3_bucket', bucketId, 'arn');
  return {
    assetsTable: table,
    assetsTableIndexes: `${table}/index/*`,
    assetsBucket: bucket,
    assetsBucketObjects: `${bucket}/*`,
    assetPipeline: ref('workflow', 'aws_sfn_state_machine', machineId, 'arn'),
    workerFunction: ref('workflow', 'aws_lambda_function', workerId, 'arn'),
    assetsOriginals: `${bucket}/${originalsPrefix}*`,
    logGroup: `${ref(appStacks[app], 'aws_cloudwatch_log_group', logsId, 'arn')}:*`,
    // Built from the queue's name (the queue's own reference would make the role wait for the
    // queue and the queue's policy for the role); the queue with that name is in the stack.
    uploadEventsQueue: queueArn('upload-service', resourceNames('dev').uploadEventsQueue)
      ? `arn:aws:sqs:us-east-1:\${upload-service:data.aws_caller_identity.account.account_id}:${resourceNames('dev').uploadEventsQueue}`
      : 'no upload events queue',
    deadLetterQueue: queueArn('data-api', 'dev-data-api-async-dlq'),
    ...anyResource,
  };
}

const asStatements = (grants: readonly Grant[], arns: Record<ResourceRef, string>) =>
  grants.map((grant) => ({
    Sid: expect.any(String),
    Effect: 'Allow',
    Action: [...grant.actions],
    Resource: grant.resources.map((r) => arns[r]),
  }));

describe.each(appNames)('%s Lambda', (app) => {
  const stackName = appStacks[app];

  it('gets every required variable of its env schema', () => {
    const environment = environmentOf(app);
    const required = variablesOf(envSchemas[app]).filter((v) => v.required);
    expect(required.length).toBeGreaterThan(0);
    for (const { name } of required) expect(environment, name).toHaveProperty(name);
    for (const name of Object.keys(environment)) {
      expect(variablesOf(envSchemas[app]).map((v) => v.name)).toContain(name);
      expect(runtimeProvidedVariables.has(name)).toBe(false);
    }
  });

  it("publishes its metrics in the stage's namespace, where the dashboard reads them", () => {
    expect(environmentOf(app).METRICS_NAMESPACE).toBe(metricsNamespace('dev'));
  });

  it("reads secrets from Secrets Manager (its own, or the platform's shared one), never from plain config", () => {
    const environment = environmentOf(app);
    const current = stack(stackName).data?.aws_secretsmanager_secret_version ?? {};
    for (const [name, value] of Object.entries(environment)) {
      if (!isSecretVariable(name)) continue;
      const id = /^\$\{data\.aws_secretsmanager_secret_version\.([^.]+)\.secret_string\}$/.exec(value)?.[1];
      expect(id, `${name} = ${value}`).toBeDefined();
      // The app's own secret by its id, or a shared one by its ARN through the platform's output.
      const [, owner, secretId] =
        /^\$\{([a-z-]+):aws_secretsmanager_secret\.([^.]+)\.(?:id|arn)\}$/.exec(
          resolveRefs(String(current[id ?? '']?.secret_id), stackName),
        ) ?? [];
      const ownerStack = stackNames.find((candidate) => candidate === owner) ?? stackName;
      const secret = stack(ownerStack).resource?.aws_secretsmanager_secret?.[secretId ?? ''];
      expect(secret?.name, name).toBe(
        sharedSecretVariables.includes(name) ? `dev/shared/${name}` : `dev/${app}/${name}`,
      );
    }
  });

  it('satisfies its env schema once references are resolved', () => {
    const placeholders = Object.fromEntries(
      Object.entries(environmentOf(app)).map(([name, value]) => [
        name,
        value.replace(/\$\{[^}]+\}/g, 'x'.repeat(40)),
      ]),
    );
    expect(() => loadEnv(envSchemas[app], placeholders)).not.toThrow();
  });

  it('has an IAM policy equal to its permission list', () => {
    const roleId = /aws_iam_role\.([^.]+)\.arn/.exec(String(lambdaOf(app)[1].role))?.[1];
    expect(roleId).toBeDefined();
    const policies = Object.fromEntries(
      resources(stack(stackName), 'aws_iam_role_policy')
        .filter(([, p]) => String(p.role).includes(`aws_iam_role.${roleId}.`))
        .map(([, p]) => [p.name, statementsOf(p, stackName)]),
    );
    const arns = expectedArns(app);
    expect(Object.keys(policies).sort()).toEqual(['app', 'lambda-runtime']);
    expect(policies.app).toEqual(asStatements(permissions[app], arns));
    // data-api is invoked asynchronously (the sweep schedule), so it may send to its dead-letter queue.
    const runtimeGrants = [
      ...lambdaRuntimePermissions,
      ...(app === 'data-api' ? lambdaDeadLetterPermissions : []),
    ];
    expect(policies['lambda-runtime']).toEqual(asStatements(runtimeGrants, arns));
    expect(resources(stack(stackName), 'aws_iam_role_policy_attachment')).toHaveLength(0);
  });

  it('runs in the private subnets with its own security group', () => {
    const [, fn] = lambdaOf(app);
    expect(fn.memory_size).toBe(environments.dev.lambdas[app].memoryMb);
    const vpc = fn.vpc_config as { subnet_ids: string[]; security_group_ids: string[] };
    for (const subnet of vpc.subnet_ids)
      expect(resolveRefs(subnet, stackName)).toMatch(/platform:aws_subnet\.network_private-/);
    expect(vpc.security_group_ids.map((g) => resolveRefs(g, stackName))).toEqual([
      ref('platform', 'aws_security_group', `network_sg-app-${app}`, 'id'),
    ]);
  });
});

describe('IAM across all stacks', () => {
  it('has no wildcard actions, and `*` resources only for the APIs AWS cannot scope', () => {
    const unscopable = new Set<string>(
      [...lambdaRuntimePermissions, ...stateMachineRuntimePermissions]
        .filter((grant) => grant.resources.every((r) => r in anyResource))
        .flatMap((grant) => grant.actions),
    );
    let statements = 0;
    for (const name of stackNames) {
      for (const [, policy] of resources(stack(name), 'aws_iam_role_policy')) {
        for (const statement of statementsOf(policy, name)) {
          statements++;
          for (const action of statement.Action) expect(action).not.toContain('*');
          if (statement.Resource.includes('*')) {
            expect(statement.Resource).toEqual(['*']);
            for (const action of statement.Action) expect(unscopable.has(action), action).toBe(true);
          }
        }
      }
    }
    expect(statements).toBeGreaterThan(0);
  });

  it('keeps data-api independent of the workflow stack', () => {
    const remote = Object.keys(stack('data-api').data?.terraform_remote_state ?? {});
    expect(remote.sort()).toEqual([
      'cross-stack-reference-input-platform',
      'cross-stack-reference-input-web',
    ]);
  });
});

import { resourceNames } from '@stateless/topology';
import { assetPipelineDefinition } from '@stateless/workflows';
import { describe, expect, it } from 'vitest';
import { permissions, stateMachineRuntimePermissions } from '../src/permissions.ts';
import { onlyResource, ref, resolveRefs, resources, stack } from './synth.ts';

describe('workflow stack', () => {
  const workflow = () => stack('workflow');

  it('deploys the asset pipeline exactly as @stateless/workflows defines it, invoking the worker', () => {
    const [workerId, worker] = onlyResource(workflow(), 'aws_lambda_function');
    const [, machine] = onlyResource(workflow(), 'aws_sfn_state_machine');
    expect(machine.name).toBe(resourceNames('dev').assetPipeline);
    expect(machine.type).toBe('STANDARD');
    expect(JSON.parse(String(machine.definition))).toEqual(
      assetPipelineDefinition(`\${aws_lambda_function.${workerId}.arn}`),
    );
    expect(worker.function_name).toBe(resourceNames('dev').workerFunction);
  });

  it('lets the state machine invoke exactly the worker, besides its own logging and tracing', () => {
    const [workerId] = onlyResource(workflow(), 'aws_lambda_function');
    const [, machine] = onlyResource(workflow(), 'aws_sfn_state_machine');
    const roleId = /aws_iam_role\.([^.]+)\.arn/.exec(String(machine.role_arn))?.[1];
    const policies = resources(workflow(), 'aws_iam_role_policy').filter(([, p]) =>
      String(p.role).includes(`aws_iam_role.${roleId}.`),
    );
    expect(policies.map(([, p]) => p.name).sort()).toEqual(['asset-pipeline', 'states-runtime']);
    const documentOf = (name: string) =>
      JSON.parse(resolveRefs(String(policies.find(([, p]) => p.name === name)?.[1].policy), 'workflow'));
    // The runtime policy holds only the log-delivery and X-Ray calls AWS cannot scope.
    expect(documentOf('states-runtime').Statement.map((s: { Action: string[] }) => s.Action)).toEqual(
      stateMachineRuntimePermissions.map((grant) => [...grant.actions]),
    );
    expect(documentOf('asset-pipeline').Statement).toEqual([
      {
        Sid: expect.any(String),
        Effect: 'Allow',
        Action: [...(permissions['asset-pipeline'][0]?.actions ?? [])],
        Resource: [ref('workflow', 'aws_lambda_function', workerId, 'arn')],
      },
    ]);
    expect(resources(workflow(), 'aws_iam_role_policy_attachment')).toHaveLength(0);
  });

  it('takes the worker package from config and hashes it at plan time', () => {
    const [, worker] = onlyResource(workflow(), 'aws_lambda_function');
    expect(String(worker.filename)).toMatch(/apps\/workflow-worker\/dist\/lambda\.zip$/);
    expect(worker.source_code_hash).toBe(`\${filebase64sha256("${worker.filename}")}`);
  });
});

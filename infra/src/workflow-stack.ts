import { CloudwatchLogGroup } from '@cdktn/provider-aws/lib/cloudwatch-log-group/index.js';
import { IamRole } from '@cdktn/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktn/provider-aws/lib/iam-role-policy/index.js';
import { SfnStateMachine } from '@cdktn/provider-aws/lib/sfn-state-machine/index.js';
import { resourceNames } from '@stateless/topology';
import { assetPipelineDefinition } from '@stateless/workflows';
import type { Construct } from 'constructs';
import { lambdaEnvironment } from './app-env.ts';
import { EnvironmentStack } from './environment-stack.ts';
import type { Environment } from './environments.ts';
import { LambdaApp } from './lambda-app.ts';
import { anyResource, permissions, policyDocument, stateMachineRuntimePermissions } from './permissions.ts';
import type { PlatformOutputs } from './platform-stack.ts';
import { secretsOf } from './secrets.ts';

/** What the upload service takes from the workflow stack. */
export interface PipelineOutputs {
  stateMachineArn: string;
}

/** The asset pipeline (Step Functions) and the workflow-worker Lambda its tasks invoke. */
export class WorkflowStack extends EnvironmentStack implements PipelineOutputs {
  readonly worker: LambdaApp;
  readonly stateMachine: SfnStateMachine;

  constructor(scope: Construct, environment: Environment, platform: PlatformOutputs) {
    super(scope, 'workflow', environment);
    const names = resourceNames(environment.stage);
    this.worker = new LambdaApp(this, 'worker', {
      functionName: names.workerFunction,
      settings: environment.lambdas['workflow-worker'],
      environment: lambdaEnvironment('workflow-worker', {
        outputs: platform.variablesFor(this),
        settings: environment.appSettings['workflow-worker'],
        secret: secretsOf(this, 'workflow-worker', platform.sharedSecretArns),
      }),
      grants: permissions['workflow-worker'],
      arns: platform.arns,
      subnetIds: platform.privateSubnetIds,
      securityGroupId: platform.securityGroupIdOf('workflow-worker'),
      logRetentionDays: environment.logRetentionDays,
    });

    const role = new IamRole(this, 'state-machine-role', {
      name: `${names.assetPipeline}-states`,
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'states.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      }),
    });
    const policy = new IamRolePolicy(this, 'state-machine-policy', {
      name: 'asset-pipeline',
      role: role.id,
      policy: policyDocument(permissions['asset-pipeline'], { workerFunction: this.worker.function.arn }),
    });
    const runtime = new IamRolePolicy(this, 'state-machine-runtime-policy', {
      name: 'states-runtime',
      role: role.id,
      policy: policyDocument(stateMachineRuntimePermissions, anyResource),
    });
    // Vended-log groups for Step Functions conventionally live under /aws/vendedlogs/.
    const logGroup = new CloudwatchLogGroup(this, 'asset-pipeline-logs', {
      name: `/aws/vendedlogs/states/${names.assetPipeline}`,
      retentionInDays: environment.logRetentionDays,
    });
    this.stateMachine = new SfnStateMachine(this, 'asset-pipeline', {
      name: names.assetPipeline,
      // Standard: execution names are unique per state machine, so a retried completion never starts a second run.
      type: 'STANDARD',
      roleArn: role.arn,
      definition: JSON.stringify(assetPipelineDefinition(this.worker.function.arn)),
      // Every state transition is logged; inputs and outputs are not (they carry user metadata).
      loggingConfiguration: {
        level: 'ALL',
        includeExecutionData: false,
        logDestination: `${logGroup.arn}:*`,
      },
      tracingConfiguration: { enabled: true },
      dependsOn: [policy, runtime],
    });
  }

  get stateMachineArn() {
    return this.stateMachine.arn;
  }
}

import { resolve } from 'node:path';
import { CloudwatchLogGroup } from '@cdktn/provider-aws/lib/cloudwatch-log-group/index.js';
import { IamRole } from '@cdktn/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktn/provider-aws/lib/iam-role-policy/index.js';
import { LambdaFunction } from '@cdktn/provider-aws/lib/lambda-function/index.js';
import { Fn } from 'cdktn';
import { Construct } from 'constructs';
import { fromStackDir } from './environment-stack.ts';
import { infraDir, type LambdaSettings } from './environments.ts';
import { lambdaNodeRuntime } from './node-runtime.ts';
import {
  anyResource,
  type Grant,
  lambdaDeadLetterPermissions,
  lambdaRuntimePermissions,
  policyDocument,
  type ResourceRef,
} from './permissions.ts';

export interface LambdaAppProps {
  functionName: string;
  settings: LambdaSettings;
  environment: Record<string, string>;
  /** The app's own permissions (from permissions.ts) and the ARNs its symbolic resources stand for. */
  grants: readonly Grant[];
  arns: Partial<Record<ResourceRef, string>>;
  subnetIds: string[];
  securityGroupId: string;
  logRetentionDays: number;
  /** For functions invoked asynchronously: where an event goes after Lambda's two retries. */
  deadLetterQueueArn?: string;
}

/**
 * A Node.js Lambda function in the VPC's private subnets, with its log group, X-Ray
 * tracing, a least-privilege role, and (if it is invoked asynchronously) a dead-letter queue.
 */
export class LambdaApp extends Construct {
  readonly function: LambdaFunction;
  readonly role: IamRole;

  constructor(scope: Construct, id: string, props: LambdaAppProps) {
    super(scope, id);
    const logGroup = new CloudwatchLogGroup(this, 'logs', {
      name: `/aws/lambda/${props.functionName}`,
      retentionInDays: props.logRetentionDays,
    });
    this.role = new IamRole(this, 'role', {
      name: `${props.functionName}-lambda`,
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      }),
    });
    const runtime = new IamRolePolicy(this, 'runtime-policy', {
      name: 'lambda-runtime',
      role: this.role.id,
      policy: policyDocument(
        [...lambdaRuntimePermissions, ...(props.deadLetterQueueArn ? lambdaDeadLetterPermissions : [])],
        { ...anyResource, logGroup: `${logGroup.arn}:*`, deadLetterQueue: props.deadLetterQueueArn },
      ),
    });
    new IamRolePolicy(this, 'app-policy', {
      name: 'app',
      role: this.role.id,
      policy: policyDocument(props.grants, props.arns),
    });
    const zip = fromStackDir(this, resolve(infraDir, props.settings.zipPath));
    this.function = new LambdaFunction(this, 'function', {
      functionName: props.functionName,
      role: this.role.arn,
      runtime: lambdaNodeRuntime,
      architectures: [props.settings.architecture],
      handler: props.settings.handler,
      // Built elsewhere; hashed at plan time, so synthesis works without it.
      filename: zip,
      sourceCodeHash: Fn.filebase64sha256(zip),
      memorySize: props.settings.memoryMb,
      timeout: props.settings.timeoutSeconds,
      environment: { variables: props.environment },
      vpcConfig: { subnetIds: props.subnetIds, securityGroupIds: [props.securityGroupId] },
      loggingConfig: { logFormat: 'Text', logGroup: logGroup.name },
      tracingConfig: { mode: 'Active' },
      ...(props.deadLetterQueueArn && { deadLetterConfig: { targetArn: props.deadLetterQueueArn } }),
      dependsOn: [logGroup, runtime],
    });
  }
}

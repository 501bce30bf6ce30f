import { invalidArn } from './errors.ts';

export interface ArnScope {
  partition: string;
  region: string;
  accountId: string;
}

const STATE_MACHINE_ARN = /^arn:(aws[a-z-]*):states:([a-z0-9-]+):(\d{12}):stateMachine:([^:]+)(?::[^:]+)?$/;
const EXECUTION_ARN = /^arn:(aws[a-z-]*):states:([a-z0-9-]+):(\d{12}):execution:([^:]+):([^:]+)$/;

export const stateMachineArn = (scope: ArnScope, name: string) =>
  `arn:${scope.partition}:states:${scope.region}:${scope.accountId}:stateMachine:${name}`;

export const executionArn = (scope: ArnScope, stateMachineName: string, executionName: string) =>
  `arn:${scope.partition}:states:${scope.region}:${scope.accountId}:execution:${stateMachineName}:${executionName}`;

/** Rejects anything that is not a state machine ARN with `InvalidArn`, as AWS does. */
export function assertStateMachineArn(arn: string): void {
  if (!STATE_MACHINE_ARN.test(arn)) throw invalidArn(arn);
}

export function assertExecutionArn(arn: string): void {
  if (!EXECUTION_ARN.test(arn)) throw invalidArn(arn);
}

/** The role ARN is only stored and echoed back, but a malformed one is rejected like AWS does. */
export function assertRoleArn(arn: string): void {
  if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(arn)) throw invalidArn(arn);
}

/**
 * Errors the Step Functions API returns to clients. `code` is the AWS error code the
 * SDK turns into an exception class (`__type` on the wire); the HTTP layer is the
 * only place that serialises them.
 */
export class SfnApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = code;
  }
}

export const validationError = (message: string) => new SfnApiError('ValidationException', message);

export const invalidArn = (arn: string) => new SfnApiError('InvalidArn', `Invalid Arn: '${arn}'`);

export const invalidName = (name: string) => new SfnApiError('InvalidName', `Invalid Name: '${name}'`);

export const invalidDefinition = (detail: string) =>
  new SfnApiError('InvalidDefinition', `Invalid State Machine Definition: '${detail}'`);

export const invalidExecutionInput = (detail: string) =>
  new SfnApiError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${detail}'`);

export const invalidToken = (token: string) => new SfnApiError('InvalidToken', `Invalid Token: '${token}'`);

export const stateMachineDoesNotExist = (arn: string) =>
  new SfnApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);

export const stateMachineAlreadyExists = (arn: string) =>
  new SfnApiError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);

export const executionDoesNotExist = (arn: string) =>
  new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);

export const executionAlreadyExists = (arn: string) =>
  new SfnApiError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);

export const unknownOperation = (target: string) =>
  new SfnApiError('UnknownOperationException', `Unknown operation: '${target}'`);

export const serializationError = (message: string) => new SfnApiError('SerializationException', message);

/**
 * Errors raised inside an execution by Task handlers. aws-local-stepfunctions matches
 * `Retry`/`Catch` `ErrorEquals` against `error.name` and reports `error.message` as the
 * Cause, so the name must be the AWS error name (e.g. the Lambda `errorType`) and the
 * message the AWS cause text.
 */
export class TaskFailure extends Error {
  constructor(errorName: string, cause: string) {
    super(cause);
    this.name = errorName;
  }
}

/**
 * `States.Runtime`: neither retried nor caught, as in AWS. The library reads these two
 * flags by duck typing (`error.isRetryable ?? true`).
 */
export class StatesRuntimeFailure extends TaskFailure {
  readonly isRetryable = false;
  readonly isCatchable = false;

  constructor(cause: string) {
    super('States.Runtime', cause);
  }
}

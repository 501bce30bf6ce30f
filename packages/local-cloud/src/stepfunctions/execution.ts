import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { HistoryRecorder } from './history.ts';
import type { LambdaInvoker } from './lambda-invoker.ts';
import { taskHandlers } from './lambda-tasks.ts';
import { definitionForRun, type TimeScales } from './run-definition.ts';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionIdentity {
  arn: string;
  name: string;
  stateMachineArn: string;
  stateMachineName: string;
  roleArn: string;
  /** The input exactly as the client sent it. */
  input: string;
  /** Listing order. */
  sequence: number;
}

export interface ExecutionRuntime {
  invoker: LambdaInvoker;
  region: string;
  scales: TimeScales;
}

// How long to let the history catch up with a settled result before reporting the outcome anyway.
const HISTORY_GRACE_MS = 2000;

/**
 * One execution: runs the definition on aws-local-stepfunctions and keeps what
 * DescribeExecution and GetExecutionHistory report, for as long as the server lives.
 */
export class Execution {
  readonly startDate = new Date();
  status: ExecutionStatus = 'RUNNING';
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  readonly history: HistoryRecorder;
  private readonly stopSignal = new AbortController();
  private abortRun: () => void = () => {};
  private historyComplete: Promise<void> = Promise.resolve();

  constructor(readonly identity: ExecutionIdentity) {
    this.history = new HistoryRecorder(identity.roleArn, () => ({ error: this.error, cause: this.cause }));
  }

  /** Starts running in the background; never throws and never rejects. */
  start(definition: StateMachineDefinition, runtime: ExecutionRuntime): void {
    try {
      const machine = new StateMachine(definitionForRun(definition, runtime.scales), {
        // Validated at CreateStateMachine; the run copy has scaled (fractional) timings.
        validationOptions: { noValidate: true },
      });
      const run = machine.run(JSON.parse(this.identity.input), {
        overrides: {
          taskResourceLocalHandlers: taskHandlers(definition, {
            invoker: runtime.invoker,
            recorder: this.history,
            region: runtime.region,
            signal: this.stopSignal.signal,
          }),
        },
        context: this.contextObject(),
      });
      this.abortRun = run.abort;
      this.historyComplete = this.history.consume(run.eventLogs);
      void this.settle(run.result);
    } catch (error) {
      this.finish('FAILED', { error: 'States.Runtime', cause: (error as Error).message ?? String(error) });
    }
  }

  /** StopExecution: the outcome is ABORTED at once; the function calls in flight are cancelled. */
  async stop(error: string | undefined, cause: string | undefined): Promise<Date> {
    if (this.status !== 'RUNNING') return this.stopDate ?? new Date();
    this.finish('ABORTED', { error, cause });
    this.stopSignal.abort();
    this.abortRun();
    await withTimeout(this.historyComplete, HISTORY_GRACE_MS);
    return this.stopDate ?? new Date();
  }

  private async settle(result: Promise<unknown>): Promise<void> {
    let outcome: () => void;
    try {
      const output = await result;
      outcome = () => this.finish('SUCCEEDED', { output: JSON.stringify(output ?? null) });
    } catch (error) {
      outcome = () => this.finish(...failureOf(error));
    }
    await withTimeout(this.historyComplete, HISTORY_GRACE_MS);
    outcome();
  }

  private finish(
    status: ExecutionStatus,
    details: { output?: string; error?: string; cause?: string },
  ): void {
    if (this.status !== 'RUNNING') return;
    this.status = status;
    this.stopDate = new Date();
    this.output = details.output;
    this.error = details.error;
    this.cause = details.cause;
  }

  private contextObject() {
    const { arn, name, roleArn, stateMachineArn, stateMachineName } = this.identity;
    return {
      Execution: {
        Id: arn,
        Name: name,
        RoleArn: roleArn,
        StartTime: this.startDate.toISOString(),
        RedriveCount: 0,
      },
      StateMachine: { Id: stateMachineArn, Name: stateMachineName },
    };
  }
}

function failureOf(error: unknown): [ExecutionStatus, { error?: string; cause?: string }] {
  if (error instanceof ExecutionAbortedError) return ['ABORTED', {}];
  if (error instanceof ExecutionTimeoutError) {
    return ['TIMED_OUT', { error: 'States.Timeout', cause: 'The execution timed out.' }];
  }
  // The library wraps the state's error; its name is the AWS error, its message the cause.
  const reason = error instanceof ExecutionError && error.cause instanceof Error ? error.cause : error;
  if (reason instanceof Error) return ['FAILED', { error: reason.name, cause: reason.message }];
  return ['FAILED', { error: 'States.Runtime', cause: String(reason) }];
}

async function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

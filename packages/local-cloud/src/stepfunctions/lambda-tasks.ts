import type { RunOptions } from 'aws-local-stepfunctions';
import { allStates, isJsonObject, type JsonObject } from './definition.ts';
import type { HistoryRecorder, TaskAttempt, TaskEventStyle } from './history.ts';
import type { InvokeRequest, InvokeResult, LambdaInvoker } from './lambda-invoker.ts';
import { StatesRuntimeFailure, TaskFailure } from './task-errors.ts';

const LAMBDA_FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[^:]+(?::[^:]+)?$/;
const LAMBDA_INVOKE_INTEGRATION = /^arn:aws[a-z-]*:states:::lambda:invoke$/;
const INVOCATION_TYPES = ['RequestResponse', 'Event', 'DryRun'] as const;
const LOG_TYPES = ['None', 'Tail'] as const;

type TaskHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
// The library types handlers with its own, unexported JSONValue type.
type TaskHandler = TaskHandlers[string];

export interface TaskRuntime {
  invoker: LambdaInvoker;
  recorder: HistoryRecorder;
  region: string;
  /** Aborted when the execution is stopped: in-flight invocations are cancelled, none start. */
  signal: AbortSignal;
}

interface TaskState {
  name: string;
  resource: string;
  timeoutSeconds: number | undefined;
}

/**
 * A handler for every Task state of the definition, keyed by state name as the library
 * wants. Every Task gets one, so the library never falls back to calling real AWS.
 */
export function taskHandlers(definition: unknown, runtime: TaskRuntime): TaskHandlers {
  const statesByName = new Map<string, TaskState[]>();
  for (const { name, state } of allStates(definition)) {
    if (state.Type !== 'Task') continue;
    const task: TaskState = {
      name,
      resource: String(state.Resource),
      timeoutSeconds: typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : undefined,
    };
    statesByName.set(name, [...(statesByName.get(name) ?? []), task]);
  }
  const handlers: TaskHandlers = {};
  for (const [name, states] of statesByName) {
    handlers[name] = handlerFor(name, states, runtime) as unknown as TaskHandler;
  }
  return handlers;
}

function handlerFor(name: string, states: TaskState[], runtime: TaskRuntime) {
  const [task] = states;
  if (!task || states.some((other) => other.resource !== task.resource)) {
    return rejectWith(
      `Task states named '${name}' in different branches use different resources; the local server tells Task states apart by name only`,
    );
  }
  if (LAMBDA_INVOKE_INTEGRATION.test(task.resource)) {
    return (input: unknown) => runLambdaInvokeIntegration(task, input, runtime);
  }
  if (LAMBDA_FUNCTION_ARN.test(task.resource)) {
    return (input: unknown) => runLambdaFunction(task, input, runtime);
  }
  return rejectWith(
    `The local Step Functions server only runs Lambda tasks; resource '${task.resource}' is not supported`,
  );
}

const rejectWith = (cause: string) => async () => {
  throw new StatesRuntimeFailure(cause);
};

/** `arn:aws:states:::lambda:invoke`: the result is the Invoke response, as in AWS. */
async function runLambdaInvokeIntegration(task: TaskState, input: unknown, runtime: TaskRuntime) {
  if (!isJsonObject(input) || typeof input.FunctionName !== 'string') {
    throw new StatesRuntimeFailure(
      `The Parameters of Task '${task.name}' must contain a string FunctionName`,
    );
  }
  const style: TaskEventStyle = { kind: 'task', resourceType: 'lambda', resource: 'invoke' };
  return invokeAndRecord(task, style, input, invokeRequestFrom(input), runtime, (result) => ({
    ExecutedVersion: result.executedVersion ?? '$LATEST',
    Payload: parsePayload(result.payloadText),
    SdkHttpMetadata: {
      HttpHeaders: {
        'X-Amz-Executed-Version': result.executedVersion ?? '$LATEST',
        'x-amzn-RequestId': result.requestId ?? '',
      },
      HttpStatusCode: result.statusCode,
    },
    SdkResponseMetadata: { RequestId: result.requestId ?? '' },
    StatusCode: result.statusCode,
  }));
}

/** A plain Lambda function ARN as Resource: the state input is the payload, the result the function's output. */
async function runLambdaFunction(task: TaskState, input: unknown, runtime: TaskRuntime) {
  const style: TaskEventStyle = { kind: 'lambdaFunction', resource: task.resource };
  const request: InvokeRequest = { functionName: task.resource, payload: JSON.stringify(input ?? null) };
  return invokeAndRecord(task, style, input, request, runtime, (result) => parsePayload(result.payloadText));
}

async function invokeAndRecord(
  task: TaskState,
  style: TaskEventStyle,
  parameters: unknown,
  request: InvokeRequest,
  runtime: TaskRuntime,
  toOutput: (result: InvokeResult) => unknown,
): Promise<unknown> {
  // After a stop the library may still start a pending retry; it must not reach the function.
  if (runtime.signal.aborted) throw new StatesRuntimeFailure('The execution was stopped');
  const attempt: TaskAttempt = runtime.recorder.beginTaskAttempt(task.name, style);
  attempt.scheduled(parameters, runtime.region, task.timeoutSeconds);
  attempt.started();
  try {
    const result = await runtime.invoker.invoke(request, runtime.signal);
    if (result.functionError) throw functionErrorFailure(result.payloadText);
    const output = toOutput(result);
    attempt.succeeded(output);
    return output;
  } catch (error) {
    if (runtime.signal.aborted) throw new StatesRuntimeFailure('The execution was stopped');
    const failure =
      error instanceof TaskFailure
        ? error
        : new TaskFailure('States.TaskFailed', (error as Error).message ?? String(error));
    attempt.failed(failure.name, failure.message);
    throw failure;
  }
}

function invokeRequestFrom(parameters: JsonObject): InvokeRequest {
  const request: InvokeRequest = { functionName: parameters.FunctionName as string };
  if ('Payload' in parameters) request.payload = JSON.stringify(parameters.Payload ?? null);
  if (typeof parameters.Qualifier === 'string') request.qualifier = parameters.Qualifier;
  if (typeof parameters.ClientContext === 'string') request.clientContext = parameters.ClientContext;
  const invocationType = INVOCATION_TYPES.find((type) => type === parameters.InvocationType);
  if (invocationType) request.invocationType = invocationType;
  const logType = LOG_TYPES.find((type) => type === parameters.LogType);
  if (logType) request.logType = logType;
  return request;
}

/**
 * A function error: the Error is the payload's `errorType` (what Retry/Catch match), the
 * Cause the function's error payload as text, as AWS reports them.
 */
function functionErrorFailure(payloadText: string): TaskFailure {
  const payload = parsePayload(payloadText);
  const errorType =
    isJsonObject(payload) && typeof payload.errorType === 'string' ? payload.errorType : undefined;
  return new TaskFailure(errorType ?? 'Lambda.Unknown', payloadText);
}

function parsePayload(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

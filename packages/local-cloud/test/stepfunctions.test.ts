import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import { assetPipelineDefinition } from '@stateless/workflows';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StepFunctionsServer, startStepFunctionsServer } from '../src/stepfunctions/index.ts';
import { type LambdaFunctionServer, startLambdaFunctionServer } from './fixtures/lambda-function.ts';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/local-sfn`;
const WORKER_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:worker`;
const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';

const sfnClient = (endpoint: string) =>
  new SFNClient({ endpoint, region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });

const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

/** A lambda:invoke Task whose function behaviour is scripted through the payload. */
const invokeTask = (script: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  Type: 'Task',
  Resource: LAMBDA_INVOKE,
  Parameters: { FunctionName: WORKER_ARN, Payload: { script } },
  ...extra,
});

async function rejectionOf(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

async function waitForExecution(
  client: SFNClient,
  executionArn: string,
  timeoutMs = 10_000,
): Promise<DescribeExecutionCommandOutput> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const execution = await client.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status !== 'RUNNING') return execution;
    if (Date.now() > deadline) throw new Error(`${executionArn} still RUNNING after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function allHistory(
  client: SFNClient,
  executionArn: string,
  reverseOrder = false,
): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 3, reverseOrder, nextToken }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

async function freePortWithNothingListening(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

describe('local Step Functions server', () => {
  let lambda: LambdaFunctionServer;
  let server: StepFunctionsServer;
  let sfn: SFNClient;

  beforeAll(async () => {
    lambda = await startLambdaFunctionServer();
    server = await startStepFunctionsServer({
      port: 0,
      lambdaEndpoint: lambda.url,
      retryIntervalScale: 0.001,
      waitTimeScale: 0.01,
    });
    sfn = sfnClient(server.url);
  });

  afterAll(async () => {
    sfn?.destroy();
    await server?.close();
    await lambda?.close();
  });

  async function createMachine(definition: unknown, name = uniqueName('sm')): Promise<string> {
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({ name, definition: JSON.stringify(definition), roleArn: ROLE_ARN }),
    );
    if (!stateMachineArn) throw new Error('no state machine ARN');
    return stateMachineArn;
  }

  async function run(definition: unknown, input: unknown = {}) {
    const stateMachineArn = await createMachine(definition);
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input) }),
    );
    if (!executionArn) throw new Error('no execution ARN');
    const execution = await waitForExecution(sfn, executionArn);
    return {
      stateMachineArn,
      executionArn,
      execution,
      output: execution.output ? JSON.parse(execution.output) : undefined,
    };
  }

  it('runs Task → Choice → Map → Retry → Catch through the Lambda function', async () => {
    const id = randomUUID();
    const definition = {
      StartAt: 'Inspect',
      States: {
        Inspect: invokeTask(
          {
            key: `inspect-${id}`,
            failTimes: 1,
            errorType: 'Transient',
            result: { kind: 'list', items: [1, 2, 3] },
          },
          {
            ResultSelector: { 'result.$': '$.Payload' },
            ResultPath: '$.inspection',
            Retry: [{ ErrorEquals: ['Transient'], IntervalSeconds: 1, MaxAttempts: 2 }],
            Next: 'IsList',
          },
        ),
        IsList: {
          Type: 'Choice',
          Choices: [{ Variable: '$.inspection.result.kind', StringEquals: 'list', Next: 'ForEach' }],
          Default: 'NotAList',
        },
        NotAList: { Type: 'Fail', Error: 'NotAList' },
        ForEach: {
          Type: 'Map',
          ItemsPath: '$.inspection.result.items',
          ItemSelector: { 'value.$': '$$.Map.Item.Value', script: { key: `item-${id}` } },
          MaxConcurrency: 2,
          ItemProcessor: {
            StartAt: 'Echo',
            States: {
              Echo: {
                Type: 'Task',
                Resource: LAMBDA_INVOKE,
                Parameters: { FunctionName: WORKER_ARN, 'Payload.$': '$' },
                ResultSelector: { 'value.$': '$.Payload.echo.value' },
                End: true,
              },
            },
          },
          ResultPath: '$.items',
          Next: 'Risky',
        },
        Risky: invokeTask(
          { key: `risky-${id}`, failTimes: 99, errorType: 'Permanent', errorMessage: 'nope' },
          { Catch: [{ ErrorEquals: ['Permanent'], ResultPath: '$.error', Next: 'Fallback' }], Next: 'Done' },
        ),
        Fallback: { Type: 'Pass', Result: 'recovered', ResultPath: '$.fallback', Next: 'Done' },
        Done: { Type: 'Succeed' },
      },
    };

    const { execution, output } = await run(definition, { upload: 'u1' });

    expect(execution.status).toBe('SUCCEEDED');
    expect(lambda.callCount(`inspect-${id}`)).toBe(2);
    expect(lambda.callCount(`item-${id}`)).toBe(3);
    expect(lambda.callCount(`risky-${id}`)).toBe(1);
    expect(output.upload).toBe('u1');
    expect(output.inspection.result).toEqual({ kind: 'list', items: [1, 2, 3] });
    expect(output.items).toEqual([{ value: 1 }, { value: 2 }, { value: 3 }]);
    expect(output.fallback).toBe('recovered');
    expect(output.error.Error).toBe('Permanent');
    expect(JSON.parse(output.error.Cause)).toMatchObject({ errorType: 'Permanent', errorMessage: 'nope' });
  });

  it('returns the Invoke response shape for lambda:invoke and the bare payload for a function ARN', async () => {
    const viaIntegration = await run({
      StartAt: 'Invoke',
      States: { Invoke: { ...invokeTask({ key: randomUUID(), result: { answer: 42 } }), End: true } },
    });
    expect(viaIntegration.output).toMatchObject({
      Payload: { answer: 42 },
      StatusCode: 200,
      ExecutedVersion: '$LATEST',
    });

    const before = lambda.invocations.length;
    const viaArn = await run(
      { StartAt: 'Call', States: { Call: { Type: 'Task', Resource: `${WORKER_ARN}:live`, End: true } } },
      { hello: 'world' },
    );
    expect(viaArn.execution.status).toBe('SUCCEEDED');
    expect(viaArn.output).toEqual({ echo: { hello: 'world' }, attempt: 1 });
    expect(lambda.invocations.slice(before)).toEqual([
      { functionName: 'worker', qualifier: null, payload: { hello: 'world' } },
    ]);
    const types = (await allHistory(sfn, viaArn.executionArn)).map((event) => event.type);
    expect(types).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
  });

  it('retries a function error and then succeeds', async () => {
    const key = randomUUID();
    const { execution, executionArn } = await run({
      StartAt: 'Flaky',
      States: {
        Flaky: invokeTask(
          { key, failTimes: 2, errorType: 'Throttled', result: { done: true } },
          {
            Retry: [{ ErrorEquals: ['Throttled'], IntervalSeconds: 2, BackoffRate: 2, MaxAttempts: 3 }],
            End: true,
          },
        ),
      },
    });
    expect(execution.status).toBe('SUCCEEDED');
    expect(lambda.callCount(key)).toBe(3);
    const events = await allHistory(sfn, executionArn);
    const taskEvents = events
      .map((event) => event.type)
      .filter((type) => /^Task(Failed|Succeeded)$/.test(type ?? ''));
    expect(taskEvents).toEqual(['TaskFailed', 'TaskFailed', 'TaskSucceeded']);
    const failed = events.find((event) => event.type === 'TaskFailed');
    expect(failed?.taskFailedEventDetails).toMatchObject({
      resourceType: 'lambda',
      resource: 'invoke',
      error: 'Throttled',
    });
  });

  it('fails the execution with the function error once retries are exhausted', async () => {
    const key = randomUUID();
    const { execution } = await run({
      StartAt: 'Flaky',
      States: {
        Flaky: invokeTask(
          { key, failTimes: 10, errorType: 'StillBroken', errorMessage: 'broken' },
          { Retry: [{ ErrorEquals: ['StillBroken'], MaxAttempts: 1 }], End: true },
        ),
      },
    });
    expect(lambda.callCount(key)).toBe(2);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('StillBroken');
    expect(JSON.parse(execution.cause ?? '{}')).toMatchObject({
      errorType: 'StillBroken',
      errorMessage: 'broken',
    });
  });

  it('matches any function error with States.TaskFailed (Retry) and States.ALL (Catch)', async () => {
    const key = randomUUID();
    const { execution, output } = await run({
      StartAt: 'Odd',
      States: {
        Odd: invokeTask(
          { key, failTimes: 5, errorType: 'SomethingOdd' },
          {
            Retry: [{ ErrorEquals: ['States.TaskFailed'], MaxAttempts: 1 }],
            Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.caught', Next: 'Recovered' }],
            Next: 'Recovered',
          },
        ),
        Recovered: { Type: 'Pass', End: true },
      },
    });
    expect(execution.status).toBe('SUCCEEDED');
    expect(lambda.callCount(key)).toBe(2);
    expect(output.caught.Error).toBe('SomethingOdd');
    expect(JSON.parse(output.caught.Cause).errorType).toBe('SomethingOdd');
  });

  it('reports the history with AWS event types in order, pageable both ways', async () => {
    const { executionArn } = await run(
      {
        StartAt: 'Work',
        States: {
          Work: invokeTask(
            { key: randomUUID(), result: { ok: true } },
            { ResultPath: '$.work', Next: 'Wait' },
          ),
          Wait: { Type: 'Wait', Seconds: 1, Next: 'Finish' },
          Finish: { Type: 'Pass', End: true },
        },
      },
      { n: 1 },
    );
    const events = await allHistory(sfn, executionArn);
    expect(events.map((event) => event.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'WaitStateEntered',
      'WaitStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
    expect(events.map((event) => event.id)).toEqual(events.map((_, index) => index + 1));
    expect(events.slice(1).every((event, index) => event.previousEventId === index + 1)).toBe(true);
    expect(events[0]?.timestamp).toBeInstanceOf(Date);
    expect(events[0]?.executionStartedEventDetails).toMatchObject({ input: '{"n":1}', roleArn: ROLE_ARN });
    expect(JSON.parse(events[2]?.taskScheduledEventDetails?.parameters ?? '{}')).toMatchObject({
      FunctionName: WORKER_ARN,
    });
    expect(events[1]?.stateEnteredEventDetails).toMatchObject({ name: 'Work' });
    expect(JSON.parse(events.at(-1)?.executionSucceededEventDetails?.output ?? '{}')).toEqual({
      n: 1,
      work: expect.any(Object),
    });

    const reversed = await allHistory(sfn, executionArn, true);
    expect(reversed.map((event) => event.id)).toEqual(events.map((event) => event.id).reverse());

    const withoutData = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, includeExecutionData: false }),
    );
    expect(withoutData.events?.[0]?.executionStartedEventDetails?.input).toBeUndefined();
  });

  it('describes an execution with the AWS fields', async () => {
    const stateMachineArn = await createMachine({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
    const name = uniqueName('exec');
    const started = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: '{"a":1}' }));
    const smName = stateMachineArn.split(':').at(-1);
    expect(started.executionArn).toBe(`arn:aws:states:${REGION}:${ACCOUNT}:execution:${smName}:${name}`);
    expect(started.startDate).toBeInstanceOf(Date);

    const execution = await waitForExecution(sfn, started.executionArn ?? '');
    expect(execution).toMatchObject({
      executionArn: started.executionArn,
      stateMachineArn,
      name,
      status: 'SUCCEEDED',
      input: '{"a":1}',
      output: '{"a":1}',
    });
    expect(execution.startDate?.getTime()).toBe(started.startDate?.getTime());
    expect(execution.stopDate?.getTime()).toBeGreaterThanOrEqual(
      execution.startDate?.getTime() ?? Number.NaN,
    );
    expect(execution.error).toBeUndefined();

    const generated = await sfn.send(new StartExecutionCommand({ stateMachineArn }));
    expect(generated.executionArn).toMatch(/:execution:[^:]+:[0-9a-f-]{36}$/);
  });

  describe('with a long-running execution', () => {
    const waitingMachine = { StartAt: 'Hold', States: { Hold: { Type: 'Wait', Seconds: 3000, End: true } } };

    it('is idempotent for the same name and input, and rejects a different input', async () => {
      const stateMachineArn = await createMachine(waitingMachine);
      const name = uniqueName('upload');
      const first = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: '{"id":1}' }));
      const again = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: '{"id":1}' }));
      expect(again.executionArn).toBe(first.executionArn);
      expect(again.startDate?.getTime()).toBe(first.startDate?.getTime());

      const conflict = await rejectionOf(
        sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: '{"id":2}' })),
      );
      expect(conflict.name).toBe('ExecutionAlreadyExists');

      const { executions } = await sfn.send(new ListExecutionsCommand({ stateMachineArn }));
      expect(executions).toHaveLength(1);

      await sfn.send(new StopExecutionCommand({ executionArn: first.executionArn }));
      // As in AWS, a closed execution's name cannot be reused, even with the same input.
      const closed = await rejectionOf(
        sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: '{"id":1}' })),
      );
      expect(closed.name).toBe('ExecutionAlreadyExists');
    });

    it('stops an execution: ABORTED with the given error and cause', async () => {
      const stateMachineArn = await createMachine(waitingMachine);
      const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn }));
      const stopped = await sfn.send(
        new StopExecutionCommand({ executionArn, error: 'UserCancelled', cause: 'changed my mind' }),
      );
      expect(stopped.stopDate).toBeInstanceOf(Date);

      const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      expect(execution).toMatchObject({
        status: 'ABORTED',
        error: 'UserCancelled',
        cause: 'changed my mind',
      });
      expect(execution.stopDate?.getTime()).toBe(stopped.stopDate?.getTime());

      const events = await allHistory(sfn, executionArn ?? '');
      expect(events.map((event) => event.type)).toEqual([
        'ExecutionStarted',
        'WaitStateEntered',
        'ExecutionAborted',
      ]);
      expect(events.at(-1)?.executionAbortedEventDetails).toEqual({
        error: 'UserCancelled',
        cause: 'changed my mind',
      });
    });

    it('stops an execution while its function runs, without calling it again', async () => {
      const key = randomUUID();
      const stateMachineArn = await createMachine({
        StartAt: 'Slow',
        States: {
          Slow: invokeTask(
            { key, delayMs: 300 },
            { Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 3 }], End: true },
          ),
        },
      });
      const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn }));
      await waitUntil(() => lambda.callCount(key) === 1);
      await sfn.send(new StopExecutionCommand({ executionArn }));
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(lambda.callCount(key)).toBe(1);
      expect((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('ABORTED');
    });
  });

  it('lists executions by status with pagination, and lists state machines', async () => {
    const stateMachineArn = await createMachine({
      StartAt: 'Check',
      States: {
        Check: {
          Type: 'Choice',
          Choices: [{ Variable: '$.ok', BooleanEquals: true, Next: 'Yes' }],
          Default: 'No',
        },
        Yes: { Type: 'Succeed' },
        No: { Type: 'Fail', Error: 'NotOk', Cause: 'ok was false' },
      },
    });
    const arns: string[] = [];
    for (const ok of [true, false, true, true]) {
      const { executionArn } = await sfn.send(
        new StartExecutionCommand({ stateMachineArn, input: JSON.stringify({ ok }) }),
      );
      arns.push(executionArn ?? '');
    }
    for (const arn of arns) await waitForExecution(sfn, arn);

    const failed = await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'FAILED' }));
    expect(failed.executions?.map((execution) => execution.executionArn)).toEqual([arns[1]]);
    const failedExecution = await sfn.send(new DescribeExecutionCommand({ executionArn: arns[1] }));
    expect(failedExecution).toMatchObject({ status: 'FAILED', error: 'NotOk', cause: 'ok was false' });

    const firstPage = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn, statusFilter: 'SUCCEEDED', maxResults: 2 }),
    );
    expect(firstPage.executions).toHaveLength(2);
    expect(firstPage.nextToken).toBeDefined();
    const secondPage = await sfn.send(
      new ListExecutionsCommand({
        stateMachineArn,
        statusFilter: 'SUCCEEDED',
        maxResults: 2,
        nextToken: firstPage.nextToken,
      }),
    );
    expect(secondPage.nextToken).toBeUndefined();
    // Newest first.
    expect(
      [...(firstPage.executions ?? []), ...(secondPage.executions ?? [])].map((e) => e.executionArn),
    ).toEqual([arns[3], arns[2], arns[0]]);

    const machines = await sfn.send(new ListStateMachinesCommand({}));
    expect(machines.stateMachines?.some((machine) => machine.stateMachineArn === stateMachineArn)).toBe(true);
    const badToken = await rejectionOf(sfn.send(new ListStateMachinesCommand({ nextToken: 'garbage' })));
    expect(badToken.name).toBe('InvalidToken');
  });

  it('creates idempotently, updates, describes and deletes state machines', async () => {
    const name = uniqueName('lifecycle');
    const definition = { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } };
    const arn = await createMachine(definition, name);
    expect(arn).toBe(`arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`);
    expect(await createMachine(definition, name)).toBe(arn);

    const conflict = await rejectionOf(
      createMachine({ StartAt: 'Q', States: { Q: { Type: 'Succeed' } } }, name),
    );
    expect(conflict.name).toBe('StateMachineAlreadyExists');

    const updated = { StartAt: 'R', States: { R: { Type: 'Pass', Result: 'new', End: true } } };
    await sfn.send(
      new UpdateStateMachineCommand({ stateMachineArn: arn, definition: JSON.stringify(updated) }),
    );
    const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
    expect(described).toMatchObject({ name, status: 'ACTIVE', type: 'STANDARD', roleArn: ROLE_ARN });
    expect(JSON.parse(described.definition ?? '{}')).toEqual(updated);
    expect(described.creationDate).toBeInstanceOf(Date);

    await sfn.send(new DeleteStateMachineCommand({ stateMachineArn: arn }));
    const gone = await rejectionOf(sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn })));
    expect(gone.name).toBe('StateMachineDoesNotExist');
  });

  it("accepts the project's asset pipeline definition", async () => {
    const stateMachineArn = await createMachine(assetPipelineDefinition(WORKER_ARN));
    const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn }));
    expect(JSON.parse(described.definition ?? '{}').StartAt).toBe('Inspect');
  });

  it('answers invalid requests with AWS error codes', async () => {
    const valid = JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
    const create = (name: string, definition: string, roleArn = ROLE_ARN) =>
      rejectionOf(sfn.send(new CreateStateMachineCommand({ name, definition, roleArn })));

    const badJson = await create(uniqueName('bad'), '{not json');
    expect(badJson.name).toBe('InvalidDefinition');
    expect(badJson.$metadata?.httpStatusCode).toBe(400);
    const missingNext = await create(
      uniqueName('bad'),
      JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Nowhere' } } }),
    );
    expect(missingNext.name).toBe('InvalidDefinition');
    expect(missingNext.message).toContain('MISSING_TRANSITION_TARGET');
    expect((await create('has spaces', valid)).name).toBe('InvalidName');
    expect((await create(uniqueName('ok'), valid, 'not-a-role')).name).toBe('InvalidArn');

    const malformedArn = await rejectionOf(
      sfn.send(new DescribeStateMachineCommand({ stateMachineArn: 'not-an-arn' })),
    );
    expect(malformedArn.name).toBe('InvalidArn');
    const unknownMachine = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${uniqueName('nope')}`;
    const missing = await rejectionOf(
      sfn.send(new StartExecutionCommand({ stateMachineArn: unknownMachine })),
    );
    expect(missing.name).toBe('StateMachineDoesNotExist');
    const executionAsMachine = await rejectionOf(
      sfn.send(new DescribeExecutionCommand({ executionArn: unknownMachine })),
    );
    expect(executionAsMachine.name).toBe('InvalidArn');
    const unknownExecution = `arn:aws:states:${REGION}:${ACCOUNT}:execution:nope:nope`;
    const noExecution = await rejectionOf(
      sfn.send(new DescribeExecutionCommand({ executionArn: unknownExecution })),
    );
    expect(noExecution.name).toBe('ExecutionDoesNotExist');

    const stateMachineArn = await createMachine(JSON.parse(valid));
    const badInput = await rejectionOf(
      sfn.send(new StartExecutionCommand({ stateMachineArn, input: '{not json' })),
    );
    expect(badInput.name).toBe('InvalidExecutionInput');
    const badName = await rejectionOf(sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'a/b' })));
    expect(badName.name).toBe('InvalidName');
  });

  it('speaks the AWS JSON 1.0 wire protocol for unknown operations and malformed bodies', async () => {
    const post = (target: string, body: string) =>
      fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': target },
        body,
      });
    const unknown = await post('AWSStepFunctions.LaunchRockets', '{}');
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ __type: 'UnknownOperationException' });

    const malformed = await post('AWSStepFunctions.ListStateMachines', '{"oops"');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({
      __type: 'SerializationException',
      message: expect.any(String),
    });

    const missingField = await post('AWSStepFunctions.DescribeExecution', '{}');
    expect(missingField.status).toBe(400);
    expect(await missingField.json()).toMatchObject({ __type: 'ValidationException' });
  });

  it('fails (not crashes) on a state that throws inside the engine', async () => {
    const { execution } = await run({
      StartAt: 'Bad',
      States: { Bad: { Type: 'Pass', InputPath: '$.does.not.exist', End: true } },
    });
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('States.Runtime');
    expect((await sfn.send(new ListStateMachinesCommand({}))).stateMachines).toBeDefined();
  });
});

describe('local Step Functions server with the function down', () => {
  let server: StepFunctionsServer;
  let sfn: SFNClient;

  beforeAll(async () => {
    const deadPort = await freePortWithNothingListening();
    server = await startStepFunctionsServer({
      lambdaEndpoint: `http://127.0.0.1:${deadPort}`,
      retryIntervalScale: 0.001,
    });
    sfn = sfnClient(server.url);
  });

  afterAll(async () => {
    sfn?.destroy();
    await server?.close();
  });

  it('reports a failed execution with a Lambda client error and keeps serving', async () => {
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({
        name: uniqueName('down'),
        roleArn: ROLE_ARN,
        definition: JSON.stringify({
          StartAt: 'Call',
          States: {
            Call: {
              ...invokeTask({ key: 'down' }),
              Retry: [{ ErrorEquals: ['Lambda.SdkClientException'], MaxAttempts: 2 }],
              End: true,
            },
          },
        }),
      }),
    );
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn }));
    const execution = await waitForExecution(sfn, executionArn ?? '');
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('Lambda.SdkClientException');
    expect(execution.cause).toContain('ECONNREFUSED');

    const events = await allHistory(sfn, executionArn ?? '');
    expect(events.filter((event) => event.type === 'TaskFailed')).toHaveLength(3);
    expect(events.at(-1)?.type).toBe('ExecutionFailed');
    expect((await sfn.send(new ListStateMachinesCommand({}))).stateMachines).toHaveLength(1);
  });
});

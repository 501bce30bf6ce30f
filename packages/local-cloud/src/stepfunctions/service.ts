import { randomUUID } from 'node:crypto';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import {
  type ArnScope,
  assertExecutionArn,
  assertRoleArn,
  assertStateMachineArn,
  executionArn,
  stateMachineArn,
} from './arns.ts';
import { parseDefinition } from './definition.ts';
import {
  executionAlreadyExists,
  executionDoesNotExist,
  invalidExecutionInput,
  SfnApiError,
  stateMachineAlreadyExists,
  stateMachineDoesNotExist,
} from './errors.ts';
import { Execution, type ExecutionRuntime, type ExecutionStatus } from './execution.ts';
import type { HistoryEvent } from './history.ts';
import { assertValidName } from './names.ts';
import { MAX_PAGE_SIZE, paginate } from './pagination.ts';
import {
  maxLength,
  optionalBoolean,
  optionalEnum,
  optionalInteger,
  optionalString,
  type RequestBody,
  requiredString,
} from './request-fields.ts';

const STATE_MACHINE_TYPES = ['STANDARD', 'EXPRESS'] as const;
const EXECUTION_STATUSES = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'PENDING_REDRIVE',
] as const;
const MAX_DEFINITION_BYTES = 1_048_576;
const MAX_INPUT_BYTES = 262_144;
const MAX_ERROR_LENGTH = 256;
const MAX_CAUSE_LENGTH = 32_768;

interface StateMachineRecord {
  arn: string;
  name: string;
  /** The definition text as the client sent it; DescribeStateMachine returns it unchanged. */
  definitionText: string;
  definition: StateMachineDefinition;
  roleArn: string;
  type: (typeof STATE_MACHINE_TYPES)[number];
  creationDate: Date;
  revisionId?: string;
  loggingConfiguration: unknown;
  tracingConfiguration: unknown;
  sequence: number;
}

export interface ServiceOptions extends ExecutionRuntime {
  scope: ArnScope;
}

/** The SDK parses JSON 1.0 timestamps from epoch seconds. */
const epochSeconds = (date: Date) => date.getTime() / 1000;

/**
 * The Step Functions operations over in-memory state. Each method takes the parsed request
 * body and returns the response body; failures are `SfnApiError`s.
 */
export class StepFunctionsService {
  private readonly stateMachines = new Map<string, StateMachineRecord>();
  private readonly executions = new Map<string, Execution>();
  private readonly executionsByStateMachine = new Map<string, Execution[]>();
  private sequence = 0;

  constructor(private readonly options: ServiceOptions) {}

  createStateMachine(body: RequestBody) {
    const name = requiredString(body, 'name');
    const definitionText = requiredString(body, 'definition');
    const roleArn = requiredString(body, 'roleArn');
    const type = optionalEnum(body, 'type', STATE_MACHINE_TYPES) ?? 'STANDARD';
    assertValidName(name);
    assertRoleArn(roleArn);
    maxLength('definition', definitionText, MAX_DEFINITION_BYTES);
    const definition = parseDefinition(definitionText);

    const arn = stateMachineArn(this.options.scope, name);
    const existing = this.stateMachines.get(arn);
    if (existing) {
      // AWS answers a repeated, identical create with the existing state machine.
      const identical =
        JSON.stringify(existing.definition) === JSON.stringify(definition) &&
        existing.roleArn === roleArn &&
        existing.type === type;
      if (!identical) throw stateMachineAlreadyExists(arn);
      return { stateMachineArn: arn, creationDate: epochSeconds(existing.creationDate) };
    }
    const record: StateMachineRecord = {
      arn,
      name,
      definitionText,
      definition,
      roleArn,
      type,
      creationDate: new Date(),
      loggingConfiguration: body.loggingConfiguration ?? { level: 'OFF', includeExecutionData: false },
      tracingConfiguration: body.tracingConfiguration ?? { enabled: false },
      sequence: this.nextSequence(),
    };
    this.stateMachines.set(arn, record);
    return { stateMachineArn: arn, creationDate: epochSeconds(record.creationDate) };
  }

  updateStateMachine(body: RequestBody) {
    const record = this.stateMachine(requiredString(body, 'stateMachineArn'));
    const definitionText = optionalString(body, 'definition');
    const roleArn = optionalString(body, 'roleArn');
    if (
      definitionText === undefined &&
      roleArn === undefined &&
      body.loggingConfiguration === undefined &&
      body.tracingConfiguration === undefined
    ) {
      throw new SfnApiError(
        'MissingRequiredParameter',
        'Either the definition, roleArn, loggingConfiguration or tracingConfiguration must be specified',
      );
    }
    if (roleArn !== undefined) assertRoleArn(roleArn);
    if (definitionText !== undefined) {
      maxLength('definition', definitionText, MAX_DEFINITION_BYTES);
      // Running executions keep the definition they started with.
      record.definition = parseDefinition(definitionText);
      record.definitionText = definitionText;
    }
    if (roleArn !== undefined) record.roleArn = roleArn;
    if (body.loggingConfiguration !== undefined) record.loggingConfiguration = body.loggingConfiguration;
    if (body.tracingConfiguration !== undefined) record.tracingConfiguration = body.tracingConfiguration;
    record.revisionId = randomUUID();
    return { updateDate: epochSeconds(new Date()), revisionId: record.revisionId };
  }

  describeStateMachine(body: RequestBody) {
    const record = this.stateMachine(requiredString(body, 'stateMachineArn'));
    return {
      stateMachineArn: record.arn,
      name: record.name,
      status: 'ACTIVE',
      definition: record.definitionText,
      roleArn: record.roleArn,
      type: record.type,
      creationDate: epochSeconds(record.creationDate),
      loggingConfiguration: record.loggingConfiguration,
      tracingConfiguration: record.tracingConfiguration,
      ...(record.revisionId ? { revisionId: record.revisionId } : {}),
    };
  }

  listStateMachines(body: RequestBody) {
    const maxResults = optionalInteger(body, 'maxResults', 0, MAX_PAGE_SIZE);
    const all = [...this.stateMachines.values()].sort((a, b) => a.sequence - b.sequence);
    const page = paginate(
      all,
      (record) => record.sequence,
      'ascending',
      maxResults,
      optionalString(body, 'nextToken'),
    );
    return {
      stateMachines: page.items.map((record) => ({
        stateMachineArn: record.arn,
        name: record.name,
        type: record.type,
        creationDate: epochSeconds(record.creationDate),
      })),
      ...(page.nextToken ? { nextToken: page.nextToken } : {}),
    };
  }

  deleteStateMachine(body: RequestBody) {
    const arn = requiredString(body, 'stateMachineArn');
    assertStateMachineArn(arn);
    // AWS deletes idempotently; running executions finish and stay describable here.
    this.stateMachines.delete(arn);
    return {};
  }

  startExecution(body: RequestBody) {
    const record = this.stateMachine(requiredString(body, 'stateMachineArn'));
    const name = optionalString(body, 'name') ?? randomUUID();
    const input = optionalString(body, 'input') ?? '{}';
    assertValidName(name);
    maxLength('input', input, MAX_INPUT_BYTES);
    assertJson(input);

    const arn = executionArn(this.options.scope, record.name, name);
    const existing = this.executions.get(arn);
    if (existing) {
      // AWS: idempotent only while the first execution runs and only for the same input.
      if (existing.status === 'RUNNING' && existing.identity.input === input) {
        return { executionArn: arn, startDate: epochSeconds(existing.startDate) };
      }
      throw executionAlreadyExists(arn);
    }
    const execution = new Execution({
      arn,
      name,
      stateMachineArn: record.arn,
      stateMachineName: record.name,
      roleArn: record.roleArn,
      input,
      sequence: this.nextSequence(),
    });
    this.executions.set(arn, execution);
    this.executionsByStateMachine.set(record.arn, [
      ...(this.executionsByStateMachine.get(record.arn) ?? []),
      execution,
    ]);
    execution.start(record.definition, this.options);
    return { executionArn: arn, startDate: epochSeconds(execution.startDate) };
  }

  describeExecution(body: RequestBody) {
    const execution = this.execution(requiredString(body, 'executionArn'));
    const { identity } = execution;
    return {
      executionArn: identity.arn,
      stateMachineArn: identity.stateMachineArn,
      name: identity.name,
      status: execution.status,
      startDate: epochSeconds(execution.startDate),
      ...(execution.stopDate ? { stopDate: epochSeconds(execution.stopDate) } : {}),
      input: identity.input,
      inputDetails: { included: true },
      ...(execution.output !== undefined
        ? { output: execution.output, outputDetails: { included: true } }
        : {}),
      ...(execution.error !== undefined ? { error: execution.error } : {}),
      ...(execution.cause !== undefined ? { cause: execution.cause } : {}),
      redriveCount: 0,
      redriveStatus: 'NOT_REDRIVABLE',
    };
  }

  async stopExecution(body: RequestBody) {
    const execution = this.execution(requiredString(body, 'executionArn'));
    const error = optionalString(body, 'error');
    const cause = optionalString(body, 'cause');
    if (error !== undefined) maxLength('error', error, MAX_ERROR_LENGTH);
    if (cause !== undefined) maxLength('cause', cause, MAX_CAUSE_LENGTH);
    const stopDate = await execution.stop(error, cause);
    return { stopDate: epochSeconds(stopDate) };
  }

  listExecutions(body: RequestBody) {
    const record = this.stateMachine(requiredString(body, 'stateMachineArn'));
    const statusFilter = optionalEnum(body, 'statusFilter', EXECUTION_STATUSES);
    const maxResults = optionalInteger(body, 'maxResults', 0, MAX_PAGE_SIZE);
    // Newest first, as AWS lists them.
    const matching = (this.executionsByStateMachine.get(record.arn) ?? [])
      .filter(
        (execution) => statusFilter === undefined || execution.status === (statusFilter as ExecutionStatus),
      )
      .reverse();
    const page = paginate(
      matching,
      (execution) => execution.identity.sequence,
      'descending',
      maxResults,
      optionalString(body, 'nextToken'),
    );
    return {
      executions: page.items.map((execution) => ({
        executionArn: execution.identity.arn,
        stateMachineArn: execution.identity.stateMachineArn,
        name: execution.identity.name,
        status: execution.status,
        startDate: epochSeconds(execution.startDate),
        ...(execution.stopDate ? { stopDate: epochSeconds(execution.stopDate) } : {}),
      })),
      ...(page.nextToken ? { nextToken: page.nextToken } : {}),
    };
  }

  getExecutionHistory(body: RequestBody) {
    const execution = this.execution(requiredString(body, 'executionArn'));
    const maxResults = optionalInteger(body, 'maxResults', 0, MAX_PAGE_SIZE);
    const reverseOrder = optionalBoolean(body, 'reverseOrder') ?? false;
    const includeExecutionData = optionalBoolean(body, 'includeExecutionData') ?? true;
    const ordered = reverseOrder ? [...execution.history.events].reverse() : execution.history.events;
    const page = paginate(
      ordered,
      (event) => event.id,
      reverseOrder ? 'descending' : 'ascending',
      maxResults,
      optionalString(body, 'nextToken'),
    );
    return {
      events: page.items.map((event) => historyEventToWire(event, includeExecutionData)),
      ...(page.nextToken ? { nextToken: page.nextToken } : {}),
    };
  }

  /** Stops every running execution, so no timers or function calls outlive the server. */
  async shutdown(): Promise<void> {
    const running = [...this.executions.values()].filter((execution) => execution.status === 'RUNNING');
    await Promise.all(
      running.map((execution) => execution.stop('States.Runtime', 'The local server shut down')),
    );
  }

  private stateMachine(arn: string): StateMachineRecord {
    assertStateMachineArn(arn);
    const record = this.stateMachines.get(arn);
    if (!record) throw stateMachineDoesNotExist(arn);
    return record;
  }

  private execution(arn: string): Execution {
    assertExecutionArn(arn);
    const execution = this.executions.get(arn);
    if (!execution) throw executionDoesNotExist(arn);
    return execution;
  }

  private nextSequence(): number {
    this.sequence += 1;
    return this.sequence;
  }
}

function assertJson(input: string): void {
  try {
    JSON.parse(input);
  } catch (error) {
    throw invalidExecutionInput((error as Error).message);
  }
}

const EXECUTION_DATA_FIELDS = new Set(['input', 'output', 'parameters', 'inputDetails', 'outputDetails']);

function historyEventToWire(event: HistoryEvent, includeExecutionData: boolean) {
  const wire: Record<string, unknown> = {
    timestamp: epochSeconds(event.timestamp),
    type: event.type,
    id: event.id,
    previousEventId: event.previousEventId,
  };
  if (event.details) {
    wire[event.details.key] = includeExecutionData
      ? event.details.value
      : Object.fromEntries(
          Object.entries(event.details.value).filter(([key]) => !EXECUTION_DATA_FIELDS.has(key)),
        );
  }
  return wire;
}

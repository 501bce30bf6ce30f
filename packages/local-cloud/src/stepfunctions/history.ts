import type { StateMachine } from 'aws-local-stepfunctions';

type EventLogs = ReturnType<StateMachine['run']>['eventLogs'];
export type LibraryEvent = EventLogs extends AsyncGenerator<infer E> ? E : never;

export type EventDetails = Record<string, unknown>;

export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: string;
  /** The `*EventDetails` member name and its value, as in the AWS HistoryEvent shape. */
  details?: { key: string; value: EventDetails };
}

/** How a Task's own events are named: service integration (`Task*`) or plain Lambda ARN (`LambdaFunction*`). */
export type TaskEventStyle =
  | { kind: 'task'; resourceType: string; resource: string }
  | { kind: 'lambdaFunction'; resource: string };

export interface TerminationDetails {
  error?: string;
  cause?: string;
}

type Lane = number | 'root';

const json = (value: unknown) => JSON.stringify(value ?? null);
const notTruncated = { truncated: false };
const stateTypesWithStartedEvent = new Set(['Map', 'Parallel']);

/**
 * One invocation of a Task's resource (the first try or a retry). The handler records
 * its events here; they reach the history only once the state's entry (or retry) has
 * been read from the library's event stream, so AWS's order (TaskStateEntered,
 * TaskScheduled, ..., TaskStateExited) holds however the two interleave.
 */
export class TaskAttempt {
  private lane: Lane | undefined;
  private buffered: Array<() => void> = [];
  private finished = false;

  constructor(
    private readonly recorder: HistoryRecorder,
    readonly stateName: string,
    private readonly style: TaskEventStyle,
  ) {}

  scheduled(parameters: unknown, region: string, timeoutSeconds: number | undefined): void {
    const timeout = timeoutSeconds === undefined ? {} : { timeoutInSeconds: timeoutSeconds };
    if (this.style.kind === 'task') {
      const { resourceType, resource } = this.style;
      this.emit('TaskScheduled', 'taskScheduledEventDetails', {
        resourceType,
        resource,
        region,
        parameters: json(parameters),
        ...timeout,
      });
    } else {
      this.emit('LambdaFunctionScheduled', 'lambdaFunctionScheduledEventDetails', {
        resource: this.style.resource,
        input: json(parameters),
        inputDetails: notTruncated,
        ...timeout,
      });
    }
  }

  started(): void {
    if (this.style.kind === 'task') {
      const { resourceType, resource } = this.style;
      this.emit('TaskStarted', 'taskStartedEventDetails', { resourceType, resource });
    } else {
      this.emit('LambdaFunctionStarted');
    }
  }

  succeeded(output: unknown): void {
    const result = { output: json(output), outputDetails: notTruncated };
    if (this.style.kind === 'task') {
      const { resourceType, resource } = this.style;
      this.emit('TaskSucceeded', 'taskSucceededEventDetails', { resourceType, resource, ...result });
    } else {
      this.emit('LambdaFunctionSucceeded', 'lambdaFunctionSucceededEventDetails', result);
    }
    this.finished = true;
  }

  failed(error: string, cause: string): void {
    this.emitFailure('Failed', error, cause);
  }

  timedOut(): void {
    this.emitFailure('TimedOut', 'States.Timeout', 'Task timed out.');
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /** Called by the recorder when the matching entry/retry event has been read. */
  open(lane: Lane): void {
    this.lane = lane;
    const pending = this.buffered;
    this.buffered = [];
    for (const append of pending) append();
  }

  private emitFailure(outcome: 'Failed' | 'TimedOut', error: string, cause: string): void {
    if (this.finished) return;
    if (this.style.kind === 'task') {
      const { resourceType, resource } = this.style;
      this.emit(`Task${outcome}`, `task${outcome}EventDetails`, { resourceType, resource, error, cause });
    } else {
      this.emit(`LambdaFunction${outcome}`, `lambdaFunction${outcome}EventDetails`, { error, cause });
    }
    this.finished = true;
  }

  private emit(type: string, detailsKey?: string, details?: EventDetails): void {
    // A late completion after a timeout must not show up as a success.
    if (this.finished) return;
    const append = () => this.recorder.append(type, this.lane ?? 'root', detailsKey, details);
    if (this.lane === undefined) this.buffered.push(append);
    else append();
  }
}

/**
 * Builds an execution's AWS-shaped history from aws-local-stepfunctions' event stream plus
 * the events Task handlers record. The mapping is documented in README.md.
 */
export class HistoryRecorder {
  readonly events: HistoryEvent[] = [];
  private closed = false;
  private readonly lastEventOfLane = new Map<Lane, number>();
  /** Per Task state name: entries/retries read but not yet claimed by a handler call, and vice versa. */
  private readonly unclaimedEntries = new Map<string, Lane[]>();
  private readonly waitingAttempts = new Map<string, TaskAttempt[]>();
  private readonly openAttempts = new Map<string, TaskAttempt[]>();
  private readonly failedStates = new Set<string>();

  constructor(
    private readonly roleArn: string,
    private readonly termination: () => TerminationDetails,
  ) {}

  /** Reads the library's event stream to its end; never throws. */
  async consume(eventLogs: AsyncIterable<LibraryEvent>): Promise<void> {
    try {
      for await (const event of eventLogs) this.translate(event);
    } catch {
      // A broken event stream must not take the execution (or the server) down with it.
    }
  }

  beginTaskAttempt(stateName: string, style: TaskEventStyle): TaskAttempt {
    const attempt = new TaskAttempt(this, stateName, style);
    const lane = this.unclaimedEntries.get(stateName)?.shift();
    if (lane === undefined) queueFor(this.waitingAttempts, stateName).push(attempt);
    else this.openAttempt(attempt, lane);
    return attempt;
  }

  append(type: string, lane: Lane, detailsKey?: string, details?: EventDetails): void {
    if (this.closed) return;
    const id = this.events.length + 1;
    const previousEventId = this.lastEventOfLane.get(lane) ?? this.lastEventOfLane.get('root') ?? 0;
    const event: HistoryEvent = { id, previousEventId, timestamp: new Date(), type };
    if (detailsKey !== undefined && details !== undefined)
      event.details = { key: detailsKey, value: details };
    this.events.push(event);
    this.lastEventOfLane.set(lane, id);
    if (type.startsWith('Execution') && type !== 'ExecutionStarted') this.closed = true;
  }

  private translate(event: LibraryEvent): void {
    switch (event.type) {
      case 'ExecutionStarted':
        this.append('ExecutionStarted', 'root', 'executionStartedEventDetails', {
          input: json(event.input),
          inputDetails: notTruncated,
          roleArn: this.roleArn,
        });
        return;
      case 'ExecutionSucceeded':
        this.append('ExecutionSucceeded', 'root', 'executionSucceededEventDetails', {
          output: json(event.output),
          outputDetails: notTruncated,
        });
        return;
      case 'ExecutionFailed':
        this.append('ExecutionFailed', 'root', 'executionFailedEventDetails', {
          error: event.Error,
          cause: typeof event.Cause === 'string' ? event.Cause : json(event.Cause),
        });
        return;
      case 'ExecutionAborted':
        this.append('ExecutionAborted', 'root', 'executionAbortedEventDetails', { ...this.termination() });
        return;
      case 'ExecutionTimeout':
        this.append('ExecutionTimedOut', 'root', 'executionTimedOutEventDetails', {
          error: 'States.Timeout',
          cause: 'The execution timed out.',
        });
        return;
      case 'MapIterationStarted':
        this.append('MapIterationStarted', 'root', 'mapIterationStartedEventDetails', {
          name: event.parentState.name,
          index: event.index,
        });
        this.lastEventOfLane.set(event.index, this.events.length);
        return;
      case 'MapIterationSucceeded':
      case 'MapIterationFailed': {
        const detailsKey =
          event.type === 'MapIterationSucceeded'
            ? 'mapIterationSucceededEventDetails'
            : 'mapIterationFailedEventDetails';
        this.append(event.type, event.index, detailsKey, {
          name: event.parentState.name,
          index: event.index,
        });
        this.lastEventOfLane.set('root', this.events.length);
        return;
      }
      case 'StateEntered':
        this.stateEntered(event.state.name, event.state.type, event.state.input, event.index ?? 'root');
        return;
      case 'StateExited':
        this.stateExited(event.state.name, event.state.type, event.state.output, event.index ?? 'root');
        return;
      case 'StateFailed':
        this.stateFailed(event.state.name, event.state.type, event.Error, event.index ?? 'root');
        return;
      case 'StateRetried':
        if (event.state.type === 'Task') this.taskEntryRead(event.state.name, event.index ?? 'root');
        this.failedStates.delete(stateKey(event.state.name, event.index ?? 'root'));
        return;
      default:
        // StateCaught and Parallel branch events have no AWS counterpart.
        return;
    }
  }

  private stateEntered(name: string, type: string, input: unknown, lane: Lane): void {
    this.append(`${type}StateEntered`, lane, 'stateEnteredEventDetails', {
      name,
      input: json(input),
      inputDetails: notTruncated,
    });
    if (stateTypesWithStartedEvent.has(type)) {
      this.append(`${type}StateStarted`, lane);
    }
    if (type === 'Task') this.taskEntryRead(name, lane);
  }

  private stateExited(name: string, type: string, output: unknown, lane: Lane): void {
    const failed = this.failedStates.delete(stateKey(name, lane));
    if (stateTypesWithStartedEvent.has(type) && !failed) this.append(`${type}StateSucceeded`, lane);
    if (type === 'Task') this.closeOldestAttempt(name);
    this.append(`${type}StateExited`, lane, 'stateExitedEventDetails', {
      name,
      output: json(output),
      outputDetails: notTruncated,
    });
  }

  private stateFailed(name: string, type: string, error: string, lane: Lane): void {
    this.failedStates.add(stateKey(name, lane));
    if (stateTypesWithStartedEvent.has(type)) this.append(`${type}StateFailed`, lane);
    if (type === 'Task') {
      const attempt = this.closeOldestAttempt(name);
      // The library's own timer fired; the handler never learns about it.
      if (error === 'States.Timeout' && attempt && !attempt.isFinished) attempt.timedOut();
    }
  }

  private taskEntryRead(stateName: string, lane: Lane): void {
    const attempt = this.waitingAttempts.get(stateName)?.shift();
    if (attempt) this.openAttempt(attempt, lane);
    else queueFor(this.unclaimedEntries, stateName).push(lane);
  }

  private openAttempt(attempt: TaskAttempt, lane: Lane): void {
    queueFor(this.openAttempts, attempt.stateName).push(attempt);
    attempt.open(lane);
  }

  private closeOldestAttempt(stateName: string): TaskAttempt | undefined {
    return this.openAttempts.get(stateName)?.shift();
  }
}

const stateKey = (name: string, lane: Lane) => `${lane}\u0000${name}`;

function queueFor<T>(queues: Map<string, T[]>, key: string): T[] {
  let queue = queues.get(key);
  if (!queue) {
    queue = [];
    queues.set(key, queue);
  }
  return queue;
}

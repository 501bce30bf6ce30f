import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { allStates } from './definition.ts';

/**
 * Longest timer Node can arm (2^31-1 ms). AWS's Task default (99999999 s) would overflow
 * setTimeout, which Node then fires after 1 ms.
 */
const MAX_TIMER_SECONDS = Math.floor(2 ** 31 / 1000) - 1;
const DEFAULT_RETRY_INTERVAL_SECONDS = 1;

export interface TimeScales {
  /** Multiplies every Retry interval and MaxDelaySeconds (backoff and jitter are kept). */
  retryIntervalScale: number;
  /** Multiplies Wait states' `Seconds`. */
  waitTimeScale: number;
}

/**
 * The definition as handed to aws-local-stepfunctions: a copy with AWS's timing semantics
 * restored where the library differs, and with time scaled for tests.
 */
export function definitionForRun(
  definition: StateMachineDefinition,
  scales: TimeScales,
): StateMachineDefinition {
  const copy = structuredClone(definition);
  for (const { state } of allStates(copy)) {
    if (state.Type === 'Task') {
      // The library defaults Task TimeoutSeconds to 60; AWS has effectively no default timeout.
      if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
        state.TimeoutSeconds = MAX_TIMER_SECONDS;
      } else if (typeof state.TimeoutSeconds === 'number') {
        state.TimeoutSeconds = Math.min(state.TimeoutSeconds, MAX_TIMER_SECONDS);
      }
    }
    if (state.Type === 'Wait' && typeof state.Seconds === 'number') {
      state.Seconds *= scales.waitTimeScale;
    }
    if (Array.isArray(state.Retry)) {
      for (const retrier of state.Retry as Record<string, unknown>[]) {
        const interval = typeof retrier.IntervalSeconds === 'number' ? retrier.IntervalSeconds : undefined;
        retrier.IntervalSeconds = (interval ?? DEFAULT_RETRY_INTERVAL_SECONDS) * scales.retryIntervalScale;
        if (typeof retrier.MaxDelaySeconds === 'number') retrier.MaxDelaySeconds *= scales.retryIntervalScale;
      }
    }
  }
  return copy;
}

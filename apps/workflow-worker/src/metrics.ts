import { FunctionError } from '@stateless/http-service';
import type { AppMetrics } from '@stateless/observability';
import { type PipelineStep, permanentErrors, retryableErrors } from '@stateless/workflows';
import type { StepHandler } from './invoke.ts';

export type WorkerMetrics = AppMetrics<'workflow-worker'>;

const named = new Set<string>([...permanentErrors, ...retryableErrors]);

/** The short reason code of a step's failure: the errorType it raised, or `Unexpected`. */
export const reasonCodeOf = (error: unknown) =>
  error instanceof FunctionError && named.has(error.errorType) ? error.errorType : 'Unexpected';

/** Each step timed (StepDuration, by step) and its failures counted (StepFailures, by step and reason). */
export function measuredSteps(
  steps: Record<PipelineStep, StepHandler>,
  metrics: WorkerMetrics,
): Record<PipelineStep, StepHandler> {
  const measured = (step: PipelineStep, handler: StepHandler): StepHandler => {
    return async (payload) => {
      const started = performance.now();
      try {
        return await handler(payload);
      } catch (error) {
        metrics.record('StepFailures', 1, { step, reason: reasonCodeOf(error) });
        throw error;
      } finally {
        metrics.record('StepDuration', performance.now() - started, { step });
      }
    };
  };
  return Object.fromEntries(
    Object.entries(steps).map(([step, handler]) => [step, measured(step as PipelineStep, handler)]),
  ) as Record<PipelineStep, StepHandler>;
}

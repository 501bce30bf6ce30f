import { FunctionError, lambdaInvokePlugin } from '@stateless/http-service';
import { type PermanentError, type RetryableError, stepSchemas } from '@stateless/workflows';
import type { FastifyInstance } from 'fastify';
import Value from 'typebox/value';

/**
 * A step's failure as the state machine sees it: a permanent `errorType` goes to Catch,
 * a retryable one is retried by the definition first.
 */
export class StepError extends FunctionError {
  constructor(errorType: PermanentError | RetryableError, message: string, options?: ErrorOptions) {
    super(errorType, message, options);
  }
}

export type StepHandler = (payload: Record<string, unknown>) => Promise<unknown>;
export type Steps = Partial<Record<string, StepHandler>>;

/**
 * Runs the step named by `payload.step` on a payload that matches its input schema;
 * anything else is a permanent error, never a crash.
 */
export async function dispatch(steps: Steps, payload: unknown): Promise<unknown> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new StepError('ValidationError', 'The payload must be a JSON object');
  }
  const step = (payload as { step?: unknown }).step;
  const handler = typeof step === 'string' && Object.hasOwn(steps, step) ? steps[step] : undefined;
  if (!handler) throw new StepError('UnknownStep', `No step named ${JSON.stringify(step)}`);
  const schema = Object.hasOwn(stepSchemas, step as string)
    ? stepSchemas[step as keyof typeof stepSchemas].input
    : undefined;
  if (schema && !Value.Check(schema, payload)) {
    const problems = [...Value.Errors(schema, payload)].slice(0, 5);
    throw new StepError(
      'ValidationError',
      `Invalid ${String(step)} payload: ${problems.map((p) => `${p.instancePath || '/'} ${p.message}`).join('; ')}`,
    );
  }
  return handler(payload as Record<string, unknown>);
}

/** The worker's steps behind the Lambda Invoke API, as the local Step Functions server calls them. */
export async function invokePlugin(app: FastifyInstance, options: { steps: Steps }) {
  await app.register(lambdaInvokePlugin, { handler: (payload) => dispatch(options.steps, payload) });
}

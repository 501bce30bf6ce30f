import { FunctionError, lambdaInvokePlugin } from '@stateless/http-service';
import type { FastifyInstance } from 'fastify';

/** A step's failure the state machine sees as `errorType`, so Retry and Catch can match it. */
export class StepError extends FunctionError {}

export type StepHandler = (payload: Record<string, unknown>) => Promise<unknown>;
export type Steps = Record<string, StepHandler>;

/** Runs the step named by `payload.step`; anything else is a permanent error, never a crash. */
export async function dispatch(steps: Steps, payload: unknown): Promise<unknown> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new StepError('InvalidPayload', 'The payload must be a JSON object');
  }
  const step = (payload as { step?: unknown }).step;
  const handler = typeof step === 'string' && Object.hasOwn(steps, step) ? steps[step] : undefined;
  if (!handler) throw new StepError('UnknownStep', `No step named ${JSON.stringify(step)}`);
  return handler(payload as Record<string, unknown>);
}

/** The worker's steps behind the Lambda Invoke API, as the local Step Functions server calls them. */
export async function invokePlugin(app: FastifyInstance, options: { steps: Steps }) {
  await app.register(lambdaInvokePlugin, { handler: (payload) => dispatch(options.steps, payload) });
}

import { PublicError } from '@stateless/contracts';
import type { FastifyInstance } from 'fastify';

/** A step's failure the state machine sees as `errorType`, so Retry and Catch can match it. */
export class StepError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = errorType;
  }
}

export type StepHandler = (payload: Record<string, unknown>) => Promise<unknown>;

/**
 * The Lambda Invoke API (`POST /2015-03-31/functions/{name}/invocations`), so the
 * local Step Functions server calls this worker exactly as AWS calls the Lambda
 * function. The step to run is `payload.step`.
 */
export async function invokePlugin(app: FastifyInstance, options: { steps: Record<string, StepHandler> }) {
  const { steps } = options;
  // The Lambda client sends the payload with any content type (often none): it is always JSON.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, body === '' ? {} : JSON.parse(body as string));
    } catch (cause) {
      done(
        new PublicError(400, 'InvalidRequestContentException', 'Could not parse request body into json', {
          cause,
        }),
      );
    }
  });
  app.post<{ Params: { functionName: string }; Body: unknown }>(
    '/2015-03-31/functions/:functionName/invocations',
    async (request, reply) => {
      const payload = request.body;
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
        throw new PublicError(400, 'InvalidRequestContentException', 'The payload must be a JSON object');
      }
      const step = (payload as { step?: unknown }).step;
      const handler = typeof step === 'string' && Object.hasOwn(steps, step) ? steps[step] : undefined;
      try {
        if (!handler) throw new StepError('UnknownStep', `No step named ${JSON.stringify(step)}`);
        const result = await handler(payload as Record<string, unknown>);
        return reply.header('x-amz-executed-version', '$LATEST').send(result ?? null);
      } catch (error) {
        const errorType = error instanceof StepError ? error.errorType : 'Error';
        request.log.warn({ err: error, step }, 'step failed');
        // Lambda reports a function error with status 200 and this header.
        return reply
          .header('x-amz-function-error', 'Unhandled')
          .send({ errorType, errorMessage: (error as Error).message });
      }
    },
  );
}

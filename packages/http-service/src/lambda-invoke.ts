import { PublicError } from '@stateless/contracts';
import type { FastifyInstance } from 'fastify';

/**
 * A failure the caller sees as Lambda's function error `{ errorType, errorMessage }`.
 * `name` is the errorType too, so a real Lambda runtime (which reports `error.name`)
 * and this plugin report the same type, and a state machine's Retry and Catch match it.
 */
export class FunctionError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = errorType;
  }
}

export type InvokeHandler = (payload: unknown, functionName: string) => Promise<unknown>;

/**
 * The Lambda Invoke API (`POST /2015-03-31/functions/{name}/invocations`), so a local
 * caller (the Step Functions server, the SQS event source) reaches a service exactly
 * as AWS reaches its Lambda function.
 */
export async function lambdaInvokePlugin(app: FastifyInstance, options: { handler: InvokeHandler }) {
  const { handler } = options;
  // The Lambda client sends the payload with any content type (often none): it is always JSON.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, body === '' ? {} : JSON.parse(body as string));
    } catch (cause) {
      done(
        new PublicError(400, 'InvalidRequestContentException', 'Could not parse request body into json', {
          cause,
          // The header the AWS SDK names its exception from.
          headers: { 'x-amzn-errortype': 'InvalidRequestContentException' },
        }),
      );
    }
  });
  app.post<{ Params: { functionName: string }; Body: unknown }>(
    '/2015-03-31/functions/:functionName/invocations',
    async (request, reply) => {
      // A request without a body is an invocation with `{}`, as in Lambda.
      const payload = request.body ?? {};
      const { functionName } = request.params;
      try {
        const result = await handler(payload, functionName);
        return reply.header('x-amz-executed-version', '$LATEST').send(result ?? null);
      } catch (error) {
        const errorType =
          error instanceof FunctionError ? error.errorType : error instanceof Error ? error.name : 'Error';
        const errorMessage = error instanceof Error ? error.message : String(error);
        request.log.warn({ err: error, functionName }, 'invocation failed');
        // Lambda reports a function error with status 200 and this header.
        return reply
          .header('x-amz-executed-version', '$LATEST')
          .header('x-amz-function-error', 'Unhandled')
          .send({ errorType, errorMessage });
      }
    },
  );
}

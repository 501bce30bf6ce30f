import { PublicError } from '@stateless/contracts';
import type { FastifyInstance } from 'fastify';
import { type SignatureRefusal, type SigningCredentials, verifySigV4 } from './sigv4.ts';

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

/** The credentials of the process: the local cloud gives every app its own (AWS's standard variables). */
const environmentCredentials = (): SigningCredentials | undefined => {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = process.env;
  return accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined;
};

/**
 * The Lambda Invoke API (`POST /2015-03-31/functions/{name}/invocations`), so a local
 * caller (the Step Functions server, the SQS event source) reaches a service exactly
 * as AWS reaches its Lambda function. As Lambda requires IAM, a caller must sign with the
 * local cloud's credentials (`credentials`, else the process's AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY): an unsigned or wrongly signed request, such as a forged upload
 * event or a web page's form post, gets Lambda's 403 and reaches no handler.
 */
export async function lambdaInvokePlugin(
  app: FastifyInstance,
  options: { handler: InvokeHandler; credentials?: SigningCredentials },
) {
  const { handler } = options;
  const credentials = options.credentials ?? environmentCredentials();
  // The Lambda client sends the payload with any content type (often none): the bytes are
  // kept as sent, for the signature, and read as JSON once the caller is known.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.post<{ Params: { functionName: string }; Body: Buffer | undefined }>(
    '/2015-03-31/functions/:functionName/invocations',
    async (request, reply) => {
      const body = request.body ?? Buffer.alloc(0);
      const { method, url, headers } = request;
      const refusal: SignatureRefusal | undefined = credentials
        ? await verifySigV4({ method, url, headers, body }, credentials, 'lambda')
        : {
            type: 'UnrecognizedClientException',
            message: 'No credentials are configured to check callers against.',
          };
      if (refusal) {
        request.log.warn({ refusal: refusal.type }, 'invocation refused');
        // Lambda's own error shape: the type in x-amzn-errortype (the SDK names its exception from it).
        return reply
          .code(403)
          .header('x-amzn-errortype', refusal.type)
          .send({ Type: 'User', message: refusal.message });
      }
      // A request without a body is an invocation with `{}`, as in Lambda.
      const payload = parsePayload(body);
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

function parsePayload(body: Buffer): unknown {
  const text = body.toString('utf8');
  try {
    return text === '' ? {} : JSON.parse(text);
  } catch (cause) {
    throw new PublicError(400, 'InvalidRequestContentException', 'Could not parse request body into json', {
      cause,
      // The header the AWS SDK names its exception from.
      headers: { 'x-amzn-errortype': 'InvalidRequestContentException' },
    });
  }
}

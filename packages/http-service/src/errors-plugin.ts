import { type ErrorCode, PublicError } from '@stateless/contracts';
import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

const codeByStatus: Record<number, ErrorCode> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  412: 'PreconditionFailed',
  413: 'PayloadTooLarge',
  414: 'UriTooLong',
  415: 'UnsupportedMediaType',
  428: 'PreconditionRequired',
  429: 'TooManyRequests',
  503: 'ServiceUnavailable',
};

/** The one place where errors become HTTP responses with the contracts error shape. */
export function toPublicError(error: FastifyError | PublicError | Error): PublicError {
  if (error instanceof PublicError) return error;
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const details = fastifyError.validation.map((v) => ({
      // `body` for the whole body, `body/title` for a field of it.
      path: [fastifyError.validationContext, v.instancePath.slice(1)].filter(Boolean).join('/'),
      message:
        v.keyword === 'additionalProperties'
          ? `unknown field ${(v.params as { additionalProperty?: string }).additionalProperty}`
          : (v.message ?? 'is invalid'),
    }));
    return new PublicError(400, 'ValidationError', 'The request is invalid', { details, cause: error });
  }
  const status = fastifyError.statusCode;
  if (status && status >= 400 && status < 500) {
    return new PublicError(status, codeByStatus[status] ?? 'BadRequest', fastifyError.message, {
      cause: error,
    });
  }
  return new PublicError(500, 'InternalError', 'Something went wrong on our side', { cause: error });
}

export const errorsPlugin = fp(
  async (app: FastifyInstance) => {
    // JSON APIs: a text body is a 415, not a string that fails validation later.
    app.removeContentTypeParser('text/plain');
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const publicError = toPublicError(error);
      if (publicError.status >= 500) request.log.error({ err: error }, 'request failed');
      else request.log.info({ code: publicError.code, reason: publicError.message }, 'request rejected');
      return reply.code(publicError.status).headers(publicError.headers).send(publicError.toBody(request.id));
    });
    app.setNotFoundHandler((request, reply) =>
      reply
        .code(404)
        .send(
          new PublicError(404, 'NotFound', `No route for ${request.method} ${request.url}`).toBody(
            request.id,
          ),
        ),
    );
  },
  { name: 'errors' },
);

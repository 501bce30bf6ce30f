import Type, { type Static } from 'typebox';

/**
 * A request id a caller may choose (`x-request-id`): short and plain, so it can neither forge a
 * log line nor break the JSON of an error body. The services and the local load balancer both apply it.
 */
export const requestIdPattern = '^[A-Za-z0-9=;:._-]{1,200}$';

/**
 * Every error code an answer can carry: the one list, so a client narrows `error.code` and the
 * OpenAPI documents enumerate them. A new code is added here first (the type refuses any other).
 */
export const errorCodes = [
  // 400
  'ValidationError',
  'BadRequest',
  'InvalidCursor',
  'InvalidRequestContentException',
  // 401, 403, 404, 405, 406
  'Unauthorized',
  'Forbidden',
  'NotFound',
  'MethodNotAllowed',
  'NotAcceptable',
  // 409: the request is well-formed but the asset's state refuses it
  'Conflict',
  'AssetDeleted',
  'InvalidState',
  'IllegalTransition',
  'NotUploaded',
  // 412, 413, 414, 415, 428, 429
  'PreconditionFailed',
  'PayloadTooLarge',
  'UriTooLong',
  'UnsupportedMediaType',
  'PreconditionRequired',
  'TooManyRequests',
  // 5xx; 502/503/504 are also the load balancer's own answers
  'InternalError',
  'BadGateway',
  'ServiceUnavailable',
  'GatewayTimeout',
  // Raised by the typed clients for an answer not in this shape (from a proxy, say), never sent
  'UnexpectedResponse',
] as const;
export type ErrorCode = (typeof errorCodes)[number];

/** The one error shape every service returns for every 4xx and 5xx. */
export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.Enum(errorCodes, {
        description: 'Stable machine-readable code, e.g. NotFound, ValidationError',
      }),
      message: Type.String({ description: 'Human-readable explanation' }),
      requestId: Type.Optional(Type.String()),
      details: Type.Optional(
        Type.Array(Type.Object({ path: Type.String(), message: Type.String() }), {
          description: 'Per-field problems of a rejected request',
        }),
      ),
    }),
  },
  { $id: 'ErrorBody' },
);
export type ErrorBody = Static<typeof ErrorBody>;

export interface PublicErrorOptions extends ErrorOptions {
  details?: { path: string; message: string }[];
  headers?: Record<string, string>;
}

/**
 * An error whose code and message are safe to show to the caller. Anything
 * else thrown in a request becomes a 500 with a generic message.
 */
export class PublicError extends Error {
  readonly details: { path: string; message: string }[] | undefined;
  readonly headers: Record<string, string>;

  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    options: PublicErrorOptions = {},
  ) {
    super(message, options);
    this.name = 'PublicError';
    this.details = options.details;
    this.headers = options.headers ?? {};
  }

  toBody(requestId?: string): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(requestId ? { requestId } : {}),
        ...(this.details ? { details: this.details } : {}),
      },
    };
  }
}

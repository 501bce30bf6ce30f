import Type, { type Static } from 'typebox';

/**
 * A request id a caller may choose (`x-request-id`): short and plain, so it can neither forge a
 * log line nor break the JSON of an error body. The services and the local load balancer both apply it.
 */
export const requestIdPattern = '^[A-Za-z0-9=;:._-]{1,200}$';

/** The one error shape every service returns for every 4xx and 5xx. */
export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable machine-readable code, e.g. NotFound, ValidationError' }),
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
    readonly code: string,
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

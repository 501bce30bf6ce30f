import { randomUUID } from 'node:crypto';
import { requestIdPattern } from '@stateless/contracts';
import {
  type FastifyError,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  LogController,
} from 'fastify';
import { toPublicError } from './errors-plugin.ts';

const safeId = new RegExp(requestIdPattern);

/** The request id: the caller's `x-request-id`, else the ALB's `x-amzn-trace-id`, else a new one. */
export function requestIdOf(headers: Record<string, string | string[] | undefined>): string {
  for (const name of ['x-request-id', 'x-amzn-trace-id']) {
    const value = headers[name];
    if (typeof value === 'string' && safeId.test(value)) return value;
  }
  return randomUUID();
}

/**
 * Query parameters whose values are credentials, by name (any case): an OAuth token sent as
 * `?access_token=` (refused, but it reached the log), a presigned URL's `X-Amz-Signature`,
 * `X-Amz-Credential` and `X-Amz-Security-Token`, and anything named like a secret or password.
 * `key` (an upload's object key) is not one.
 */
const secretParameter = /token|secret|password|signature|credential|api[-_]?key/i;

/** `url` with the value of every credential-like query parameter replaced by `[REDACTED]`. */
function redactUrl(url: string): string {
  const query = url.indexOf('?');
  if (query === -1) return url;
  const pairs = url.slice(query + 1).split('&');
  const redacted = pairs.map((pair) => {
    const equals = pair.indexOf('=');
    const name = equals === -1 ? pair : pair.slice(0, equals);
    return secretParameter.test(decodedName(name)) ? `${name}=[REDACTED]` : pair;
  });
  return `${url.slice(0, query)}?${redacted.join('&')}`;
}

/** A parameter name as the query parser reads it (`access%5Ftoken`, `access+token`). */
function decodedName(name: string) {
  try {
    return decodeURIComponent(name.replaceAll('+', ' '));
  } catch {
    return name;
  }
}

/** Fastify's request serializer, with credentials in the query string redacted. */
const requestSerializer = (req: FastifyRequest) => ({
  method: req.method,
  url: redactUrl(req.url),
  host: req.host,
  remoteAddress: req.ip,
  remotePort: req.socket?.remotePort,
});

/** Fastify options every service shares: JSON logs with request ids, bounded bodies, a drain on close. */
export function serviceOptions(options: { logLevel: string; bodyLimit?: number }): FastifyServerOptions {
  return {
    logger: {
      level: options.logLevel,
      redact: ['req.headers.authorization', 'req.headers.cookie'],
      serializers: { req: requestSerializer },
    },
    requestIdHeader: false,
    // The name the error bodies and the docs use (Fastify's default log key is `reqId`).
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    genReqId: (req) => requestIdOf(req.headers),
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Path parameters are bounded by their schemas (a 400 that names the field); the router's
    // own limit only stops what no schema could read (its default, 100, would answer first).
    routerOptions: { maxParamLength: 16 * 1024 },
    // What the router refuses before any route runs (a malformed %-escape, a parameter over
    // that limit) gets the error shape too, not Fastify's own body.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const publicError = toPublicError(error);
      reply.code(publicError.status).send(publicError.toBody(request.id));
    },
  };
}

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

/** Fastify options every service shares: JSON logs with request ids, bounded bodies, a drain on close. */
export function serviceOptions(options: { logLevel: string; bodyLimit?: number }): FastifyServerOptions {
  return {
    logger: {
      level: options.logLevel,
      redact: ['req.headers.authorization', 'req.headers.cookie'],
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

import { randomUUID } from 'node:crypto';
import { requestIdPattern } from '@stateless/contracts';
import type { FastifyServerOptions } from 'fastify';

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
    requestIdLogLabel: 'requestId',
    genReqId: (req) => requestIdOf(req.headers),
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  };
}

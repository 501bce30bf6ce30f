import { PublicError } from '@stateless/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Deps } from '../../deps.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** An onRequest hook (after `authenticate`): the caller's per-minute budget, shared by all instances. */
    rateLimit(request: FastifyRequest, reply: FastifyReply): Promise<void>;
    /** The same budget for a user a service calls on behalf of (the upload service's routes). */
    rateLimitUser(subject: string, reply: FastifyReply): Promise<void>;
  }
}

export default fp(
  async (app: FastifyInstance, { deps }: { deps: Deps }) => {
    const limit = async (subject: string, reply: FastifyReply) => {
      const decision = await deps.rateLimiter.hit(subject);
      reply.header('x-ratelimit-limit', decision.limit);
      reply.header('x-ratelimit-remaining', decision.remaining);
      if (!decision.allowed) {
        throw new PublicError(429, 'TooManyRequests', 'Rate limit exceeded; retry later', {
          headers: { 'retry-after': String(decision.retryAfterSeconds) },
        });
      }
    };
    app.decorate('rateLimit', (request: FastifyRequest, reply: FastifyReply) =>
      limit(request.principal.sub, reply),
    );
    app.decorate('rateLimitUser', limit);
  },
  { name: 'rate-limit', dependencies: ['auth', 'redis'] },
);

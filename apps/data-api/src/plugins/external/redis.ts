import type { Redis } from '@stateless/aws';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Deps } from '../../deps.ts';
import type { RedisGuard } from '../../lib/redis-guard.ts';

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis;
    redisGuard: RedisGuard;
  }
}

/** The shared Redis client (fail-fast, auto-pipelined) and its outage guard. */
export default fp(
  async (app: FastifyInstance, { deps }: { deps: Deps }) => {
    app.decorate('redis', deps.redis);
    app.decorate('redisGuard', deps.redisGuard);
  },
  { name: 'redis', dependencies: ['config'] },
);

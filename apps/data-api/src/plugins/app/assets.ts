import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Deps } from '../../deps.ts';
import type { AssetsService } from '../../lib/assets-service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    assets: AssetsService;
  }
}

/** The assets domain: DynamoDB behind the shared Redis cache. */
export default fp(
  async (app: FastifyInstance, { deps }: { deps: Deps }) => {
    app.decorate('assets', deps.assets);
  },
  { name: 'assets', dependencies: ['config', 'dynamodb', 'redis', 's3'] },
);

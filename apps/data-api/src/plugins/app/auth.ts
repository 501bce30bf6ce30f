import { authPlugin } from '@stateless/auth';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Deps } from '../../deps.ts';

export default fp(
  async (app: FastifyInstance, { deps }: { deps: Deps }) => {
    await app.register(authPlugin, { verifier: deps.verifier });
  },
  { name: 'data-api-auth', dependencies: ['config'] },
);

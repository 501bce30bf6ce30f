import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Deps } from '../../deps.ts';
import type { ObjectStore } from '../../lib/object-store.ts';

declare module 'fastify' {
  interface FastifyInstance {
    objects: ObjectStore;
  }
}

/** The assets bucket: presigned GETs and object removal. */
export default fp(
  async (app: FastifyInstance, { deps }: { deps: Deps }) => {
    app.decorate('objects', deps.objects);
  },
  { name: 's3', dependencies: ['config'] },
);

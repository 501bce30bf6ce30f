import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { DataApiConfig, Deps } from '../../deps.ts';
import type { Metrics } from '../../lib/metrics.ts';

declare module 'fastify' {
  interface FastifyInstance {
    config: DataApiConfig;
    metrics: Metrics;
  }
}

/** The typed config and the process's counters (both shared by the two listeners). */
export default fp(
  async (app: FastifyInstance, { deps }: { deps: Deps }) => {
    app.decorate('config', deps.config);
    app.decorate('metrics', deps.metrics);
  },
  { name: 'config' },
);

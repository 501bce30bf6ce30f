import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { internalAssetRoutes as routes } from '@stateless/contracts';

/** This process's counters (cache hits/misses/errors, Redis outages, DB reads/writes, …). */
const metrics: FastifyPluginAsyncTypebox = async (app) => {
  app.route({ ...routes.metrics, handler: async () => app.metrics.snapshot() });
};

export default metrics;

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { internalAssetRoutes as routes } from '@stateless/contracts';
import { errorResponses } from '../schemas.ts';

/** Default batch of a sweep when the body names no `limit`. */
export const defaultSweepLimit = 25;

/**
 * Maintenance for schedulers: remove the S3 objects of deleted assets whose
 * cleanup did not finish during their DELETE (S3 failure, instance death).
 */
const maintenance: FastifyPluginAsyncTypebox = async (app) => {
  app.route({
    ...routes.sweepDeleted,
    schema: {
      ...routes.sweepDeleted.schema,
      tags: ['internal'],
      response: { ...routes.sweepDeleted.schema.response, ...errorResponses },
    },
    handler: async (request) => app.assets.sweepDeleted({ limit: request.body.limit ?? defaultSweepLimit }),
  });
};

export default maintenance;

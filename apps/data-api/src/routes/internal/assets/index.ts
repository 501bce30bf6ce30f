import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { internalAssetRoutes as routes } from '@stateless/contracts';
import { toInternal } from '../../../lib/record.ts';
import { errorResponses } from '../../schemas.ts';

/** Service-to-service: create records, record pipeline results, move status. */
const internalAssets: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['internal'];

  app.route({
    ...routes.create,
    schema: {
      ...routes.create.schema,
      tags,
      response: { ...routes.create.schema.response, ...errorResponses },
    },
    handler: async (request, reply) => {
      const { record, created } = await app.assets.create(request.body);
      return reply.code(created ? 201 : 200).send(toInternal(record));
    },
  });

  app.route({
    ...routes.get,
    schema: { ...routes.get.schema, tags, response: { ...routes.get.schema.response, ...errorResponses } },
    handler: async (request) => toInternal(await app.assets.getInternal(request.params.id)),
  });

  app.route({
    ...routes.recordResults,
    schema: {
      ...routes.recordResults.schema,
      tags,
      response: { ...routes.recordResults.schema.response, ...errorResponses },
    },
    handler: async (request) => toInternal(await app.assets.recordResults(request.params.id, request.body)),
  });

  app.route({
    ...routes.moveStatus,
    schema: {
      ...routes.moveStatus.schema,
      tags,
      response: { ...routes.moveStatus.schema.response, ...errorResponses },
    },
    handler: async (request) => toInternal(await app.assets.moveStatus(request.params.id, request.body)),
  });
};

export default internalAssets;

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { onBehalfOfHeader, PublicError, internalAssetRoutes as routes } from '@stateless/contracts';
import { toInternal } from '../../../lib/record.ts';
import { errorResponses } from '../../schemas.ts';

/** Service-to-service: create records, record pipeline results, move status. */
const internalAssets: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['internal'];
  // A call a service makes for a user's request (the upload routes) spends that user's budget.
  app.addHook('onRequest', async (request, reply) => {
    const user = request.headers[onBehalfOfHeader];
    if (user !== undefined) await app.rateLimitUser(String(user), reply);
  });

  app.route({
    ...routes.create,
    schema: {
      ...routes.create.schema,
      tags,
      response: { ...routes.create.schema.response, ...errorResponses },
    },
    handler: async (request, reply) => {
      // A create for a user's request (the upload routes) is a PENDING record that stays until
      // uploaded, aborted or expired: a user may hold MAX_OPEN_UPLOADS. A service's own creates
      // are not limited, as for the rate limit. The count and the write are not atomic, so creates
      // at the same moment may pass it by their number (the rate limit bounds that); a repeat of
      // this id is not counted.
      const { id, ownerId } = request.body;
      const limit = app.config.MAX_OPEN_UPLOADS;
      const forUser = request.headers[onBehalfOfHeader] !== undefined;
      if (forUser && (await app.assets.store.countOpenUploads(ownerId, id, limit)) >= limit) {
        throw new PublicError(
          409,
          'Conflict',
          `${limit} uploads are open, the most one user may have: complete or abort one, or wait until it expires`,
        );
      }
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
    ...routes.expireUpload,
    schema: {
      ...routes.expireUpload.schema,
      tags,
      response: { ...routes.expireUpload.schema.response, ...errorResponses },
    },
    handler: async (request, reply) => {
      await app.assets.expireUpload(request.params.id);
      return reply.code(204).send();
    },
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

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Asset, defaultPageSize, PublicError, publicAssetRoutes as routes } from '@stateless/contracts';
import { etagOf, noneMatchHits, parseEntityTags } from '../../../lib/etag.ts';
import { toPublic } from '../../../lib/record.ts';
import { documentedErrors, errorResponses } from '../../schemas.ts';

/** The owner's assets. Every route: bearer user token, then the per-user rate limit. */
const assetsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const authenticate = app.authenticate('user');
  // One hook for both (the hot read path pays for every hook).
  app.addHook('onRequest', async (request, reply) => {
    await authenticate.call(app, request, reply);
    await app.rateLimit(request, reply);
  });
  const tags = ['assets'];

  app.route({
    ...routes.list,
    schema: {
      ...routes.list.schema,
      tags,
      summary: 'Your assets, newest first',
      response: {
        ...routes.list.schema.response,
        ...documentedErrors({
          400: 'A limit outside 1..100, or a cursor that is malformed, altered or not yours (InvalidCursor)',
        }),
        ...errorResponses,
      },
    },
    handler: async (request, reply) => {
      reply.header('cache-control', 'private, no-cache');
      const { limit = defaultPageSize, cursor } = request.query;
      return app.assets.list(request.principal.sub, limit, cursor);
    },
  });

  app.route({
    ...routes.get,
    schema: {
      ...routes.get.schema,
      tags,
      summary: 'One asset, with its ETag (If-None-Match → 304)',
      response: { ...routes.get.schema.response, ...errorResponses },
    },
    handler: async (request, reply) => {
      const ifNoneMatch = request.headers['if-none-match'];
      const known =
        ifNoneMatch === undefined ? undefined : parseEntityTags(ifNoneMatch, 'If-None-Match', true);
      const asset = await app.assets.getOwned(request.params.id, request.principal.sub);
      reply.header('etag', etagOf(asset.version)).header('cache-control', 'private, no-cache');
      reply.header('x-cache', asset.source);
      if (known && noneMatchHits(known, asset.version)) return reply.code(304).send();
      // The cached representation is already JSON: sent as is, without a parse/serialize round trip.
      return reply
        .code(200)
        .type('application/json; charset=utf-8')
        .send(asset.body as unknown as Asset);
    },
  });

  app.route({
    ...routes.update,
    schema: {
      ...routes.update.schema,
      tags,
      summary: 'Edit title, description, tags (If-Match required)',
      response: {
        ...routes.update.schema.response,
        ...documentedErrors({
          412: 'The asset has changed since you read it, or If-Match holds only weak ETags',
          428: 'No If-Match header',
        }),
        ...errorResponses,
      },
    },
    // Before header validation, which would call the missing precondition a 400.
    preValidation: async (request) => {
      if (request.headers['if-match'] === undefined) {
        throw new PublicError(428, 'PreconditionRequired', 'Send If-Match with the ETag you last read');
      }
    },
    handler: async (request, reply) => {
      const expected = parseEntityTags(request.headers['if-match'], 'If-Match', false);
      const record = await app.assets.update(
        request.params.id,
        request.principal.sub,
        request.body,
        expected,
      );
      reply.header('etag', etagOf(record.version));
      return toPublic(record);
    },
  });

  app.route({
    ...routes.delete,
    schema: {
      ...routes.delete.schema,
      tags,
      summary: 'Delete (idempotent); its files are removed',
      response: { ...routes.delete.schema.response, ...errorResponses },
    },
    handler: async (request, reply) => {
      await app.assets.delete(request.params.id, request.principal.sub);
      return reply.code(204).send();
    },
  });

  app.route({
    ...routes.download,
    schema: {
      ...routes.download.schema,
      tags,
      summary: 'A short-lived download URL of the original',
      response: { ...routes.download.schema.response, ...errorResponses },
    },
    handler: async (request, reply) => {
      const asset = await app.assets.getOwned(request.params.id, request.principal.sub);
      if (asset.status === 'PENDING')
        throw new PublicError(409, 'NotUploaded', 'The asset has not been uploaded yet');
      reply.header('cache-control', 'no-store');
      // The version that was uploaded and processed, not whatever the key holds now.
      return app.objects.downloadUrl(asset.originalKey, asset.filename, asset.originalVersionId);
    },
  });

  app.route({
    ...routes.downloadThumbnail,
    schema: {
      ...routes.downloadThumbnail.schema,
      tags,
      summary: 'A short-lived download URL of a thumbnail',
      response: { ...routes.downloadThumbnail.schema.response, ...errorResponses },
    },
    handler: async (request, reply) => {
      const asset = await app.assets.getOwned(request.params.id, request.principal.sub);
      // Own names only: `constructor` would otherwise find Object.prototype's and sign its text as a key.
      const { name } = request.params;
      const key = Object.hasOwn(asset.thumbnailKeys, name) ? asset.thumbnailKeys[name] : undefined;
      if (key === undefined) throw new PublicError(404, 'NotFound', 'No such thumbnail');
      reply.header('cache-control', 'no-store');
      return app.objects.downloadUrl(key);
    },
  });
};

export default assetsRoutes;

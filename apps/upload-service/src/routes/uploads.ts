import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { uploadRoutes as routes } from '@stateless/contracts';
import type { Uploads } from '../lib/uploads.ts';

const errorResponses = { '4xx': { $ref: 'ErrorBody#' }, '5xx': { $ref: 'ErrorBody#' } } as const;

const declaredSize = (value: unknown) => {
  const size = typeof value === 'string' ? Number(value) : value;
  return typeof size === 'number' && Number.isSafeInteger(size) && size >= 0 ? size : undefined;
};

/** The Companion S3 routes @uppy/aws-s3 calls (companionEndpoint = /uploads); bearer user token on each. */
export const uploadsRoutes: FastifyPluginAsyncTypebox<{ uploads: Uploads }> = async (app, { uploads }) => {
  app.addHook('onRequest', app.authenticate('user'));
  const withErrors = <S extends { response: object }>(schema: S) => ({
    ...schema,
    response: { ...schema.response, ...errorResponses },
  });

  app.route({
    ...routes.singleParams,
    schema: withErrors(routes.singleParams.schema),
    handler: async (request) => {
      const { filename, type, size } = request.query;
      const metadataSize = (request.query as Record<string, unknown>)['metadata[size]'];
      return uploads.single(request.principal.sub, filename, type, declaredSize(size ?? metadataSize));
    },
  });

  app.route({
    ...routes.createMultipart,
    schema: withErrors(routes.createMultipart.schema),
    handler: async (request) => {
      const { filename, type, size, metadata } = request.body;
      return uploads.createMultipart(
        request.principal.sub,
        filename,
        type,
        declaredSize(size ?? metadata?.size),
      );
    },
  });

  app.route({
    ...routes.listParts,
    schema: withErrors(routes.listParts.schema),
    handler: async (request) =>
      uploads.listParts(request.principal.sub, request.query.key, request.params.uploadId),
  });

  app.route({
    ...routes.signParts,
    schema: withErrors(routes.signParts.schema),
    handler: async (request) => {
      // 1..10000 each, by the schema's pattern.
      const partNumbers = [...new Set(request.query.partNumbers.split(',').map(Number))];
      return uploads.signParts(
        request.principal.sub,
        request.query.key,
        request.params.uploadId,
        partNumbers,
      );
    },
  });

  app.route({
    ...routes.signPart,
    schema: withErrors(routes.signPart.schema),
    handler: async (request) =>
      uploads.signPart(
        request.principal.sub,
        request.query.key,
        request.params.uploadId,
        request.params.partNumber,
      ),
  });

  app.route({
    ...routes.complete,
    schema: withErrors(routes.complete.schema),
    handler: async (request) =>
      uploads.complete(request.principal.sub, request.query.key, request.params.uploadId, request.body.parts),
  });

  app.route({
    ...routes.abort,
    schema: withErrors(routes.abort.schema),
    handler: async (request) =>
      uploads.abort(request.principal.sub, request.query.key, request.params.uploadId),
  });
};

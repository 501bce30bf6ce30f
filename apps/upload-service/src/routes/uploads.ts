import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { uploadRoutes as routes } from '@stateless/contracts';
import { type DeclaredSize, refuse, type Uploads } from '../lib/uploads.ts';

const errorResponses = { '4xx': { $ref: 'ErrorBody#' }, '5xx': { $ref: 'ErrorBody#' } } as const;

/**
 * A declared size in bytes, from a field the schema cannot type (Uppy's `metadata[size]` query
 * parameter, or a JSON number past 2^53, where integers stop being exact): a whole number from 0
 * to Number.MAX_SAFE_INTEGER, or a 400 naming the field. Absent: undefined.
 */
function declaredSize(fields: [field: string, value: unknown][]): DeclaredSize | undefined {
  const sizes = fields.flatMap(([field, value]) => {
    if (value === undefined) return [];
    const size = typeof value === 'string' && /^[0-9]+$/.test(value) ? Number(value) : value;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      throw refuse(field, `${field} must be a whole number of bytes from 0 to 2^53 - 1`);
    }
    return [{ value: size, field }];
  });
  return sizes[0];
}

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
      const declared = declaredSize([
        ['querystring/size', size],
        ['querystring/metadata[size]', metadataSize],
      ]);
      return uploads.single(request.principal.sub, filename, type, declared);
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
        declaredSize([
          ['body/size', size],
          ['body/metadata/size', metadata?.size],
        ]),
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
      // 1..10000 each, at most maxBatchParts, by the schema's pattern.
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

import swagger from '@fastify/swagger';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';

export interface OpenApiDocs {
  /** Where the document is served: `${prefix}/json`. */
  prefix: string;
  title: string;
  description: string;
  /** Only routes under this path are documented (health checks are for load balancers). */
  documentedPrefix: string;
}

/**
 * A public API's OpenAPI 3 document, generated from its routes' schemas (register it before
 * the routes). By default it serves `${prefix}/json`; `serve` replaces that with what an entry
 * wants under the prefix, such as Swagger UI, which serves the same document at the same path.
 */
export function openApiDocs(
  docs: OpenApiDocs,
  serve: (app: FastifyInstance) => Promise<void> = async (app) => {
    app.get(`${docs.prefix}/json`, { schema: { hide: true } }, async () => app.swagger());
  },
): FastifyPluginAsync {
  return fp(
    async (app) => {
      await app.register(swagger, {
        openapi: {
          info: { title: docs.title, version: '1.0.0', description: docs.description },
          components: {
            securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
          },
          security: [{ bearer: [] }],
        },
        transform: ({ schema, url }) => ({
          schema: url.startsWith(docs.documentedPrefix) ? schema : { ...schema, hide: true },
          url,
        }),
      });
      await serve(app);
    },
    { name: 'docs' },
  );
}

import swagger from '@fastify/swagger';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';

export const docsPrefix = '/docs/assets';

/** The OpenAPI document of the public routes, generated from their schemas. */
async function openApi(app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Stateless data API',
        version: '1.0.0',
        description: 'Your assets: list, read, edit metadata, delete and download. Bearer JWT required.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
    // Only the public API is documented (health checks are for load balancers).
    transform: ({ schema, url }) => ({
      schema: url.startsWith('/assets') ? schema : { ...schema, hide: true },
      url,
    }),
  });
}

/**
 * What serves `${docsPrefix}/json`, the OpenAPI document (the default, and what the Lambda
 * function serves). A server entry may pass one that serves more under the prefix, such as
 * Swagger UI (`./swagger-ui.ts`), which serves the same document at the same path.
 */
export type DocsPlugin = FastifyPluginAsync;

export const openApiJson: DocsPlugin = fp(
  async (app) => {
    await openApi(app);
    app.get(`${docsPrefix}/json`, { schema: { hide: true } }, async () => app.swagger());
  },
  { name: 'docs' },
);

export const withOpenApi = (register: (app: FastifyInstance) => Promise<void>): DocsPlugin =>
  fp(
    async (app) => {
      await openApi(app);
      await register(app);
    },
    { name: 'docs' },
  );

import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export const docsPrefix = '/docs/assets';

/** OpenAPI document (`/docs/assets/json`) and Swagger UI (`/docs/assets`), generated from the route schemas. */
export default fp(
  async (app: FastifyInstance) => {
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
    await app.register(swaggerUi, { routePrefix: docsPrefix });
  },
  { name: 'swagger' },
);

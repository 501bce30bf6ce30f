import swaggerUi from '@fastify/swagger-ui';
import { docsPrefix, withOpenApi } from './swagger.ts';

/**
 * Swagger UI at `/docs/assets/` beside the OpenAPI document, for the server entry. Kept out
 * of the Lambda function (whose entry never imports this module): its static files would
 * triple the package and be read from disk on a cold start.
 */
export const swaggerUiDocs = withOpenApi(async (app) => {
  await app.register(swaggerUi, { routePrefix: docsPrefix });
});

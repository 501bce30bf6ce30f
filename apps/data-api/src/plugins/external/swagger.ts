import { openApiDocs } from '@stateless/http-service';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';

export const docsPrefix = '/docs/assets';

const assetsDocs = {
  prefix: docsPrefix,
  title: 'Stateless data API',
  description: 'Your assets: list, read, edit metadata, delete and download. Bearer JWT required.',
  documentedPrefix: '/assets',
};

/**
 * What serves `${docsPrefix}`: by default the OpenAPI document alone (what the Lambda function
 * serves). A server entry may pass one that serves more under the prefix, such as Swagger UI
 * (`./swagger-ui.ts`).
 */
export type DocsPlugin = FastifyPluginAsync;

export const openApiJson: DocsPlugin = openApiDocs(assetsDocs);

export const withOpenApi = (serve: (app: FastifyInstance) => Promise<void>): DocsPlugin =>
  openApiDocs(assetsDocs, serve);

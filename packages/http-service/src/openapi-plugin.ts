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
 * What a browser may do with a page under the docs prefix (Swagger UI, on the console's origin
 * locally): run only its own files and call only this origin, never inside another site's frame
 * (where a person pasting a token could be clickjacked). Swagger UI has no inline script, but
 * writes inline styles (its React views), so styles alone may be inline.
 */
export const docsSecurityHeaders = {
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
} as const;

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
      // Its own context: the headers go on everything under the prefix and nothing else.
      await app.register(async (docsApp) => {
        docsApp.addHook('onSend', async (_request, reply) => void reply.headers(docsSecurityHeaders));
        await serve(docsApp);
      });
    },
    { name: 'docs' },
  );
}

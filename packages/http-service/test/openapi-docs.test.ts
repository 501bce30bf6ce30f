import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { openApiDocs } from '../src/index.ts';

const docs = { prefix: '/docs/things', title: 'Things', description: 'd', documentedPrefix: '/things' };
const page = '<!doctype html><title>Swagger UI</title><script src="./static/ui.js"></script>';

/** An entry that serves a UI under the prefix (as the data API's server entry serves Swagger UI). */
const withUi = Fastify({ logger: false });
await withUi.register(
  openApiDocs(docs, async (app) => {
    app.get(`${docs.prefix}/`, { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/html').send(page),
    );
    app.get(`${docs.prefix}/static/ui.js`, { schema: { hide: true } }, async () => 'ui();');
    app.get(`${docs.prefix}/json`, { schema: { hide: true } }, async () => app.swagger());
  }),
);
withUi.get('/things', async () => ({ items: [] }));
/** The default: the document alone (the Lambda functions). */
const documentOnly = Fastify({ logger: false });
await documentOnly.register(openApiDocs(docs));
afterAll(() => Promise.all([withUi.close(), documentOnly.close()]));

describe('the docs pages', () => {
  it('forbid framing and anything not from their own origin, on every page under the prefix', async () => {
    for (const [app, url] of [
      [withUi, `${docs.prefix}/`],
      [withUi, `${docs.prefix}/static/ui.js`],
      [withUi, `${docs.prefix}/json`],
      [documentOnly, `${docs.prefix}/json`],
    ] as const) {
      const response = await app.inject(url);
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['x-frame-options'], url).toBe('DENY');
      const csp = String(response.headers['content-security-policy']);
      expect(csp, url).toContain("frame-ancestors 'none'");
      expect(csp, url).toContain("default-src 'self'");
      expect(csp, url).toMatch(/script-src 'self'(;|$)/);
      expect(csp, url).toContain("object-src 'none'");
    }
    expect((await withUi.inject(`${docs.prefix}/json`)).json()).toMatchObject({ info: { title: 'Things' } });
  });

  it('leave the API routes’ headers alone', async () => {
    const response = await withUi.inject('/things');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-security-policy']).toBeUndefined();
    expect(response.headers['x-frame-options']).toBeUndefined();
  });
});

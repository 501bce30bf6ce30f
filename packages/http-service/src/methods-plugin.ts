import { PublicError } from '@stateless/contracts';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import FindMyWay from 'find-my-way';

/**
 * 405 with `Allow` for a method a known path does not have (RFC 9110 §15.5.6),
 * instead of Fastify's 404. The routes are mirrored into a router of their own
 * (find-my-way: Fastify's router, so paths match exactly as they route), and
 * the check runs on request, before a body method such as QUERY is refused for
 * its missing Content-Type.
 */
export const methodsPlugin = fp(
  async (app: FastifyInstance) => {
    const routes = FindMyWay();
    const registered = new Set<string>();
    const methods = new Set<string>();
    app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) {
        const key = `${method} ${route.url}`;
        if (registered.has(key)) continue;
        registered.add(key);
        methods.add(method);
        routes.on(method as 'GET', route.url, () => {});
      }
    });
    app.addHook('onRequest', async (request) => {
      if (!request.is404) return;
      const path = request.url.split('?', 1)[0] ?? '/';
      const allowed = [...methods].filter((method) => routes.find(method as 'GET', path) !== null).sort();
      if (allowed.length === 0) return;
      throw new PublicError(405, 'MethodNotAllowed', `${request.method} is not allowed on ${path}`, {
        headers: { allow: allowed.join(', ') },
      });
    });
  },
  { name: 'methods' },
);

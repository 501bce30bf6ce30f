import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { bearerOf, type Principal, type Verifier } from './verifier.ts';

declare module 'fastify' {
  interface FastifyInstance {
    verifier: Verifier;
    /** An onRequest hook: a valid user token (public) or service token (internal), else 401. */
    authenticate(kind: 'user' | 'service'): onRequestAsyncHookHandler;
  }
  interface FastifyRequest {
    principal: Principal;
  }
}

/** `app.authenticate('user' | 'service')` and `request.principal` for an app's routes. */
export const authPlugin = fp(
  async (app: FastifyInstance, { verifier }: { verifier: Verifier }) => {
    app.decorate('verifier', verifier);
    app.decorateRequest('principal', null as unknown as Principal);
    app.decorate('authenticate', (kind: 'user' | 'service') => async (request: FastifyRequest) => {
      request.principal = await verifier[kind](bearerOf(request.headers.authorization));
    });
  },
  { name: 'auth' },
);

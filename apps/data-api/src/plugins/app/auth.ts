import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type { Deps } from '../../deps.ts';
import { bearerOf, type Principal, type Verifier } from '../../lib/auth.ts';

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

export default fp(
  async (app: FastifyInstance, { deps }: { deps: Deps }) => {
    app.decorate('verifier', deps.verifier);
    app.decorateRequest('principal', null as unknown as Principal);
    app.decorate('authenticate', (kind: 'user' | 'service') => async (request: FastifyRequest) => {
      const token = bearerOf(request.headers.authorization);
      request.principal = await deps.verifier[kind](token);
    });
  },
  { name: 'auth', dependencies: ['config'] },
);

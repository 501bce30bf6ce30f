import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { errorsPlugin } from './errors-plugin.ts';
import { methodsPlugin } from './methods-plugin.ts';
import { validatorCompiler } from './validation.ts';

/**
 * What every service does the same way: errors in the contracts shape, request
 * validation with TypeBox, the request id echoed, 405 for a method a path does
 * not have, and a drain that ends.
 */
export const conventionsPlugin = fp(
  async (app: FastifyInstance) => {
    app.setValidatorCompiler(validatorCompiler);
    await app.register(errorsPlugin);

    // Callers (and the load balancer's logs) can quote the id of their request.
    app.addHook('onRequest', (request, reply, done) => {
      reply.header('x-request-id', request.id);
      done();
    });
    await app.register(methodsPlugin);

    // Node's server.close() waits for every connection to end, and a keep-alive
    // connection whose request completes during the drain would stay open for
    // keepAliveTimeout (72 s): past the drain deadline. Once closing, responses
    // say `Connection: close`.
    let closing = false;
    app.addHook('preClose', (done) => {
      closing = true;
      done();
    });
    app.addHook('onSend', (_request, reply, payload, done) => {
      if (closing) reply.header('connection', 'close');
      done(null, payload);
    });
  },
  { name: 'conventions' },
);

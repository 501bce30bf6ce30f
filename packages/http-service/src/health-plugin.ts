import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** A dependency check for `/readyz`: resolves when reachable. `critical: false` reports without failing. */
export interface ReadinessCheck {
  name: string;
  critical: boolean;
  check: () => Promise<unknown>;
}

const withTimeout = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref(),
    ),
  ]);

/**
 * `/healthz`: the process is alive (the load balancer's check; no dependency calls).
 * `/readyz`: the dependencies answer; 503 only when a critical one does not.
 */
export const healthPlugin = fp(
  async (app: FastifyInstance, options: { checks?: ReadinessCheck[]; timeoutMs?: number }) => {
    const checks = options.checks ?? [];
    app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }));
    app.get('/readyz', { logLevel: 'warn' }, async (_request, reply) => {
      const results = await Promise.all(
        checks.map(async ({ name, critical, check }) => {
          try {
            await withTimeout(check(), options.timeoutMs ?? 1_000);
            return { name, critical, ok: true };
          } catch (error) {
            return { name, critical, ok: false, error: (error as Error).message };
          }
        }),
      );
      const ready = results.every((r) => r.ok || !r.critical);
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks: results });
    });
  },
  { name: 'health' },
);

import type { FastifyInstance } from 'fastify';

export interface Listening {
  app: FastifyInstance;
  port: number;
}

/**
 * Starts the apps (one per listener) and drains them on SIGTERM/SIGINT: stop
 * accepting, finish in-flight requests, then close clients (each app's onClose
 * hooks) — so a rolling deploy or a scale-in drops no request.
 */
export async function runServers(servers: Listening[], host: string, onStopped?: () => Promise<void>) {
  for (const { app, port } of servers) await app.listen({ port, host });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const log = servers[0]?.app.log;
    log?.info({ signal }, 'draining');
    const deadline = setTimeout(() => {
      log?.error('drain timed out, exiting');
      process.exit(1);
    }, 25_000).unref();
    await Promise.allSettled(servers.map(({ app }) => app.close()));
    await onStopped?.();
    clearTimeout(deadline);
    log?.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

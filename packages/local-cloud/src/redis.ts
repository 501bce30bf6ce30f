import { freePort } from './ports.ts';
import { type ManagedProcess, startProcess, tcpOpen, waitUntilReady } from './processes.ts';
import { ensureSystemTool } from './tools.ts';

export interface RedisServer {
  url: string;
  port: number;
  /** Stops the server; the port stays reserved for `start`. */
  stop(): Promise<void>;
  /** Starts it again on the same port (an empty cache, as after a failover). */
  start(): Promise<void>;
}

/** A private, memory-only redis-server on loopback. */
export async function startRedis(options: { port?: number; logDir?: string } = {}): Promise<RedisServer> {
  const redisServer = ensureSystemTool('redis-server', 'redis-server');
  const port = options.port ?? (await freePort());
  let current: ManagedProcess | undefined;
  const start = async () => {
    const process = startProcess({
      name: `redis-${port}`,
      command: redisServer,
      args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      logDir: options.logDir,
    });
    current = process;
    await waitUntilReady(process, () => tcpOpen(port));
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    stop: async () => {
      await current?.stop();
      current = undefined;
    },
  };
}

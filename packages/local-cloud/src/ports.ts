import { createServer } from 'node:net';

/**
 * Ports this process has handed out: the OS can give the same free port to two calls made before
 * either is bound (CI saw one app instance get its public and internal listeners on one port).
 */
const handedOut = new Set<number>();

/** A free TCP port on loopback, never one this process handed out before (it stays free until bound). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await osFreePort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

function osFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

/** `preferred` if nothing listens on it, else a free port: a bookmark keeps working from run to run. */
export function preferredPort(preferred: number): Promise<number> {
  if (preferred === 0) return freePort();
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(freePort()));
    server.listen(preferred, '127.0.0.1', () => server.close(() => resolve(preferred)));
  });
}

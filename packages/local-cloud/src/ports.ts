import { createServer } from 'node:net';

/** A free TCP port on loopback (the OS picks it; it stays free until someone binds it). */
export function freePort(): Promise<number> {
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

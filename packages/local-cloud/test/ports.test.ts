import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, preferredPort } from '../src/ports.ts';

const servers: Server[] = [];
afterAll(() => {
  for (const server of servers) server.close();
});
const listenOn = (port: number) =>
  new Promise<void>((resolve) => {
    const server = createServer();
    servers.push(server);
    server.listen(port, '127.0.0.1', () => resolve());
  });

describe('preferredPort (the public entry’s stable default)', () => {
  it('gives the preferred port while it is free, so a bookmark keeps working', async () => {
    const port = await freePort();
    expect(await preferredPort(port)).toBe(port);
  });

  it('gives another free port when something listens on the preferred one', async () => {
    const taken = await freePort();
    await listenOn(taken);
    const other = await preferredPort(taken);
    expect(other).not.toBe(taken);
    await listenOn(other);
  });
});

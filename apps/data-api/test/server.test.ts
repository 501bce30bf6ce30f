import { createDataApiInternalClient } from '@stateless/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  newAsset,
  type ServerProcess,
  serviceToken,
  startServerProcess,
  uniqueOwner,
  userToken,
} from './helpers.ts';

let server: ServerProcess;
let publicUrl: string;
let internalUrl: string;
let output: string[];

beforeAll(async () => {
  server = await startServerProcess();
  ({ publicUrl, internalUrl, output } = server);
});
afterAll(() => {
  if (server?.alive()) return server.kill();
});

const logLines = () =>
  output
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('server.ts', () => {
  it('serves both listeners from its environment and logs JSON with the caller’s request id', async () => {
    const ownerId = uniqueOwner();
    const internal = createDataApiInternalClient({
      baseUrl: internalUrl,
      token: await serviceToken(),
      requestId: 'from-upload-1',
    });
    const body = newAsset(ownerId);
    await internal.createAsset(body);
    const token = await userToken(ownerId);
    const got = await call(publicUrl, 'GET', `/assets/${body.id}`, {
      token,
      headers: { 'x-request-id': 'client-req-7' },
    });
    expect(got.status).toBe(200);
    expect((await call(publicUrl, 'GET', '/internal/metrics', { token: await serviceToken() })).status).toBe(
      404,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const lines = logLines();
    expect(lines.some((l) => l.requestId === 'client-req-7' && l.listener === 'public')).toBe(true);
    expect(lines.some((l) => l.requestId === 'from-upload-1' && l.listener === 'internal')).toBe(true);
    // The bearer token never reaches the logs.
    expect(output.join('')).not.toContain(token);
  });

  it('drains on SIGTERM: requests in flight complete, then it exits 0', async () => {
    const tokens = await Promise.all(Array.from({ length: 20 }, () => userToken(uniqueOwner())));
    // Uncached list reads (a new owner each) keep the server busy while it is told to stop.
    const inFlight = tokens.map((token, i) =>
      call(publicUrl, 'GET', '/assets?limit=100', { token, headers: { 'x-request-id': `drain-${i}` } }),
    );
    // SIGTERM once every request has reached the server (logged as incoming).
    const received = () =>
      logLines().filter((l) => String(l.requestId).startsWith('drain-') && l.msg === 'incoming request');
    while (received().length < 20) await new Promise((resolve) => setTimeout(resolve, 2));
    void server.stop();
    const responses = await Promise.all(inFlight);
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(await server.exited).toBe(0);
    expect(logLines().some((l) => l.msg === 'stopped')).toBe(true);
    await expect(fetch(`${publicUrl}/healthz`)).rejects.toThrow();
  });
});

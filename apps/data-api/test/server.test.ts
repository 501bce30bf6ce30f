import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createDataApiInternalClient } from '@stateless/contracts';
import { freePort } from '@stateless/local-cloud';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { call, cursorSecret, newAsset, secret, serviceToken, uniqueOwner, userToken } from './helpers.ts';

/** src/server.ts as a process, started the way the dev stack starts it, with its environment only. */
let child: ChildProcess;
let publicUrl: string;
let internalUrl: string;
const output: string[] = [];
let exited: Promise<number | null>;

beforeAll(async () => {
  const [port, internalPort] = [await freePort(), await freePort()];
  publicUrl = `http://127.0.0.1:${port}`;
  internalUrl = `http://127.0.0.1:${internalPort}`;
  child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../src/server.ts')], {
    env: {
      PATH: process.env.PATH,
      ...inject('cloud').env,
      PORT: String(port),
      INTERNAL_PORT: String(internalPort),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      AUTH_JWT_SECRET: secret,
      CURSOR_SECRET: cursorSecret,
      REDIS_KEY_PREFIX: `server-test-${port}:`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const up = await Promise.all(
      [publicUrl, internalUrl].map((u) =>
        fetch(`${u}/healthz`).then(
          (r) => r.ok,
          () => false,
        ),
      ),
    );
    if (up.every(Boolean)) break;
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`server did not start:\n${output.join('')}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
});
afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
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
    expect(lines.some((l) => l.reqId === 'client-req-7' && l.listener === 'public')).toBe(true);
    expect(lines.some((l) => l.reqId === 'from-upload-1' && l.listener === 'internal')).toBe(true);
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
      logLines().filter((l) => String(l.reqId).startsWith('drain-') && l.msg === 'incoming request');
    while (received().length < 20) await new Promise((resolve) => setTimeout(resolve, 2));
    child.kill('SIGTERM');
    const responses = await Promise.all(inFlight);
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(await exited).toBe(0);
    expect(logLines().some((l) => l.msg === 'stopped')).toBe(true);
    await expect(fetch(`${publicUrl}/healthz`)).rejects.toThrow();
  });
});

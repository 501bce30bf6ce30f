import { createServer, type IncomingHttpHeaders } from 'node:http';
import { decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDataApiInternalClient,
  DataApiError,
  mintServiceToken,
  mintUserToken,
  serviceTokenSource,
} from '../src/index.ts';

/** A scripted data API: answers the next request with `reply`, remembers what it got. */
let reply: { status: number; body: string } = { status: 200, body: '{}' };
let received: { method?: string; url?: string; headers?: IncomingHttpHeaders; body?: string } = {};
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    received = { method: req.method, url: req.url, headers: req.headers, body };
    res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body);
  });
});
let baseUrl = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
});
afterAll(() => server.close());

describe('data API internal client', () => {
  it('sends the service token, request id and JSON body, and reports a create', async () => {
    let minted = 0;
    const client = createDataApiInternalClient({
      baseUrl,
      token: () => `token-${++minted}`,
      requestId: 'req-1',
    });
    reply = { status: 201, body: JSON.stringify({ id: 'a1' }) };
    const result = await client.createAsset({ id: 'a1' } as never);
    expect(result).toEqual({ asset: { id: 'a1' }, created: true });
    expect(received).toMatchObject({ method: 'POST', url: '/internal/assets', body: '{"id":"a1"}' });
    expect(received.headers).toMatchObject({ authorization: 'Bearer token-1', 'x-request-id': 'req-1' });
    reply = { status: 200, body: JSON.stringify({ id: 'a1' }) };
    expect((await client.createAsset({ id: 'a1' } as never)).created).toBe(false);
    expect(received.headers?.authorization).toBe('Bearer token-2');
  });

  it('escapes ids in paths', async () => {
    const client = createDataApiInternalClient({ baseUrl, token: 't' });
    reply = { status: 200, body: '{}' };
    await client.getAsset('a/../b');
    expect(received.url).toBe('/internal/assets/a%2F..%2Fb');
  });

  it('throws a DataApiError carrying the error body', async () => {
    const client = createDataApiInternalClient({ baseUrl, token: 't' });
    reply = {
      status: 409,
      body: JSON.stringify({ error: { code: 'IllegalTransition', message: 'READY → PENDING' } }),
    };
    const error = await client.moveStatus('a1', { status: 'PENDING' } as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataApiError);
    expect(error).toMatchObject({ status: 409, code: 'IllegalTransition' });
  });

  it('turns a non-JSON error (a proxy page) into UnexpectedResponse', async () => {
    const client = createDataApiInternalClient({ baseUrl, token: 't' });
    reply = { status: 502, body: '<html>Bad Gateway</html>' };
    await expect(client.getAsset('a1')).rejects.toMatchObject({ status: 502, code: 'UnexpectedResponse' });
  });
});

describe('tokens', () => {
  const secret = 's'.repeat(32);
  const key = new TextEncoder().encode(secret);

  it('mints user and service tokens for different audiences', async () => {
    const user = await jwtVerify(await mintUserToken(secret, 'alice'), key, { audience: 'stateless-api' });
    expect(user.payload.sub).toBe('alice');
    const service = await mintServiceToken(secret, 'upload-service');
    await expect(jwtVerify(service, key, { audience: 'stateless-api' })).rejects.toThrow();
    expect((await jwtVerify(service, key, { audience: 'stateless-internal' })).payload.sub).toBe(
      'upload-service',
    );
  });

  it('expires tokens after their ttl', async () => {
    const token = await mintUserToken(secret, 'bob', { ttl: 60 });
    const { payload } = await jwtVerify(token, key);
    expect(Number(payload.exp) - Number(payload.iat)).toBe(60);
  });

  it('reuses one service token until a minute before it expires, then mints the next', async () => {
    let now = 1_000_000;
    const token = serviceTokenSource(secret, 'workflow-worker', { now: () => now });
    // The same minting (promise) while it is fresh, shared by concurrent callers.
    const first = token();
    expect(token()).toBe(first);
    const { payload } = await jwtVerify(await first, key, { audience: 'stateless-internal' });
    expect(payload).toMatchObject({ sub: 'workflow-worker', kind: 'service' });
    expect(Number(payload.exp) - Number(payload.iat)).toBe(300);
    now += 239_000;
    expect(token()).toBe(first);
    now += 1_000;
    const second = token();
    expect(second).not.toBe(first);
    expect(token()).toBe(second);
    expect(decodeJwt(await second)).toMatchObject({ sub: 'workflow-worker' });
  });

  it('mints service tokens for the configured audience', async () => {
    const token = await serviceTokenSource(secret, 'upload-service', { audience: 'internal-elsewhere' })();
    expect(decodeJwt(token).aud).toBe('internal-elsewhere');
  });
});

import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createDataApiInternalClient } from '@stateless/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  type Instance,
  newAsset,
  serviceToken,
  startInstance,
  testConfig,
  uniqueOwner,
  userToken,
} from './helpers.ts';

/** Issue 11: what a new user hits first, checked on a listening instance. */
let instance: Instance;
let internal: ReturnType<typeof createDataApiInternalClient>;

beforeAll(async () => {
  instance = await startInstance(testConfig());
  internal = createDataApiInternalClient({ baseUrl: instance.internalUrl, token: await serviceToken() });
});
afterAll(() => instance.close());

async function ownedAsset() {
  const ownerId = uniqueOwner();
  const { asset } = await internal.createAsset(newAsset(ownerId, { title: 'First' }));
  return { id: asset.id, token: await userToken(ownerId) };
}

/** The bytes the server writes for raw HTTP/1.1 requests on one keep-alive connection, until `done` says stop. */
function rawExchange(baseUrl: string, requests: string, done: (received: string) => boolean) {
  const { hostname, port } = new URL(baseUrl);
  return new Promise<string>((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(requests));
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within 5 s; got:\n${received}`));
    }, 5_000);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (done(received)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(received);
      }
    });
    socket.on('error', reject);
  });
}

const headerOf = (head: string, name: string) => new RegExp(`^${name}: *(.*)$`, 'im').exec(head)?.[1]?.trim();

describe('item 1: a 304 is framed as a 304', () => {
  it('sends no body and no Content-Length, so the next response on the connection parses', async () => {
    const { id, token } = await ownedAsset();
    const full = await call(instance.publicUrl, 'GET', `/assets/${id}`, { token });
    const etag = full.headers.get('etag');
    expect(etag).toMatch(/^"v\d+"$/);
    const request = (extra: string) =>
      `GET /assets/${id} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n${extra}\r\n`;
    // A conditional GET, then a plain one on the same connection.
    const raw = await rawExchange(
      instance.publicUrl,
      request(`If-None-Match: ${etag}\r\n`) + request(''),
      (received) => {
        const second = received.indexOf('HTTP/1.1 200');
        if (second < 0) return false;
        const head = received.slice(second, received.indexOf('\r\n\r\n', second));
        const length = Number(headerOf(head, 'content-length'));
        return Buffer.byteLength(received.slice(second + head.length + 4), 'latin1') >= length;
      },
    );
    expect(raw.startsWith('HTTP/1.1 304 ')).toBe(true);
    const notModifiedEnd = raw.indexOf('\r\n\r\n') + 4;
    const notModifiedHead = raw.slice(0, notModifiedEnd);
    // Nothing between the 304's head and the next status line.
    expect(raw.slice(notModifiedEnd).startsWith('HTTP/1.1 200 ')).toBe(true);
    // RFC 9110 §8.6 allows only the 200's length here; sending none is what Node does for a bodiless 304.
    expect(headerOf(notModifiedHead, 'content-length')).toBeUndefined();
    expect(headerOf(notModifiedHead, 'etag')).toBe(etag);
  });
});

describe('item 7: one detail per field', () => {
  it('says what a mistyped field must be, once, and names the whole body `body`', async () => {
    const { id, token } = await ownedAsset();
    const patch = (body: string) =>
      call(instance.publicUrl, 'PATCH', `/assets/${id}`, {
        token,
        body,
        headers: { 'if-match': '"v1"' },
      });
    const mistyped = await patch('{"title":123}');
    expect(mistyped.status).toBe(400);
    expect(mistyped.json.error.details).toEqual([
      { path: 'body/title', message: 'must be a string or null' },
    ]);
    const tooShort = await patch('{"title":""}');
    expect(tooShort.json.error.details).toEqual([
      { path: 'body/title', message: 'must not have fewer than 1 characters' },
    ]);
    const array = await patch('[]');
    expect(array.json.error.details).toEqual([{ path: 'body', message: 'must be an object' }]);
  });
});

describe('item 8: a weak validator in If-Match', () => {
  it('is refused with 412 saying why, not "has changed"; the asset is unchanged', async () => {
    const { id, token } = await ownedAsset();
    const weak = await call(instance.publicUrl, 'PATCH', `/assets/${id}`, {
      token,
      body: { title: 'Renamed' },
      headers: { 'if-match': 'W/"v1"' },
    });
    expect(weak.status).toBe(412);
    expect(weak.json.error.code).toBe('PreconditionFailed');
    expect(weak.json.error.message).toMatch(/weak validator .* cannot be used with If-Match/i);
    const after = await call(instance.publicUrl, 'GET', `/assets/${id}`, { token });
    expect(after.json).toMatchObject({ title: 'First', version: 1 });
    // A list with a strong tag as well is compared on that tag (RFC 9110 §13.1.1).
    const mixed = await call(instance.publicUrl, 'PATCH', `/assets/${id}`, {
      token,
      body: { title: 'Renamed' },
      headers: { 'if-match': 'W/"v1", "v1"' },
    });
    expect(mixed.status).toBe(200);
  });
});

describe('item 9: a method the path does not have', () => {
  it('answers 405 with Allow on both listeners, QUERY included', async () => {
    const { id, token } = await ownedAsset();
    for (const method of ['PUT', 'POST', 'QUERY']) {
      const response = await call(instance.publicUrl, method, `/assets/${id}`, { token });
      expect({ method, status: response.status }).toEqual({ method, status: 405 });
      expect(response.json.error.code).toBe('MethodNotAllowed');
      expect(response.headers.get('allow')).toBe('DELETE, GET, HEAD, PATCH');
    }
    const list = await call(instance.publicUrl, 'DELETE', '/assets', { token });
    expect(list.headers.get('allow')).toBe('GET, HEAD');
    const internalPut = await call(instance.internalUrl, 'DELETE', `/internal/assets/${id}/results`, {
      token: await serviceToken(),
    });
    expect(internalPut.status).toBe(405);
    expect(internalPut.headers.get('allow')).toBe('PUT');
    expect((await call(instance.publicUrl, 'PUT', '/nowhere', { token })).status).toBe(404);
  });
});

describe('item 2: the OpenAPI document says what the routes do', () => {
  it('has an optional limit with its default, a required If-Match on PATCH and the cursor 400', async () => {
    const doc = (await call(instance.publicUrl, 'GET', '/docs/assets/json')).json;
    const list = doc.paths['/assets'].get;
    const limit = list.parameters.find((p: { name: string }) => p.name === 'limit');
    expect(limit).toMatchObject({ in: 'query', required: false, schema: { type: 'integer', default: 20 } });
    expect(list.responses['400'].description).toMatch(/cursor/i);
    const patch = doc.paths['/assets/{id}'].patch;
    const ifMatch = patch.parameters.find((p: { name: string }) => p.name === 'if-match');
    expect(ifMatch).toMatchObject({ in: 'header', required: true });
    expect(patch.responses['428']).toBeDefined();
    expect(patch.responses['412']).toBeDefined();
  });

  it('serves the documented default, refuses limit=true, and still answers 428 without If-Match', async () => {
    const { id, token } = await ownedAsset();
    const owner = await call(instance.publicUrl, 'GET', '/assets', { token });
    expect(owner.status).toBe(200);
    expect(owner.json.items.map((a: { id: string }) => a.id)).toEqual([id]);
    const refused = await call(instance.publicUrl, 'GET', '/assets?limit=true', { token });
    expect(refused.status).toBe(400);
    expect(refused.json.error.details).toEqual([
      { path: 'querystring/limit', message: 'must be an integer' },
    ]);
    const forged = await call(instance.publicUrl, 'GET', '/assets?cursor=0', { token });
    expect([forged.status, forged.json.error.code]).toEqual([400, 'InvalidCursor']);
    const unconditional = await call(instance.publicUrl, 'PATCH', `/assets/${id}`, {
      token,
      body: { title: 'x' },
    });
    expect([unconditional.status, unconditional.json.error.code]).toEqual([428, 'PreconditionRequired']);
  });
});

describe('item 5: a bad environment', () => {
  it('stops server.ts with every problem in one message, no stack trace, exit code 1', async () => {
    // No ASSETS_TABLE, and neither AUTH_JWT_SECRET nor AUTH_JWKS_URL.
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, '../src/server.ts')],
      {
        env: {
          PATH: process.env.PATH,
          ASSETS_BUCKET: 'b',
          REDIS_URL: 'redis://127.0.0.1:1',
          CURSOR_SECRET: 'c'.repeat(32),
          SERVICE_TOKEN_SECRET: 's'.repeat(32),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(output.trim().split('\n')).toEqual([
      'Invalid environment:',
      '  ASSETS_TABLE: is required but not set',
      expect.stringMatching(/^ {2}\(combination\): set exactly one of AUTH_JWT_SECRET .* or AUTH_JWKS_URL/),
    ]);
  });
});

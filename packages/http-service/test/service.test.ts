import { PublicError } from '@stateless/contracts';
import Fastify from 'fastify';
import Type from 'typebox';
import { afterAll, describe, expect, it } from 'vitest';
import { conventionsPlugin, healthPlugin, serviceOptions } from '../src/index.ts';

const app = Fastify(serviceOptions({ logLevel: 'silent', bodyLimit: 100 }));
await app.register(conventionsPlugin);
await app.register(healthPlugin, {
  checks: [
    { name: 'db', critical: true, check: async () => 'ok' },
    { name: 'cache', critical: false, check: () => Promise.reject(new Error('down')) },
  ],
});
app.post(
  '/things',
  {
    schema: {
      body: Type.Object({ name: Type.String() }, { additionalProperties: false }),
      querystring: Type.Object({ limit: Type.Integer({ minimum: 1, default: 10 }) }),
    },
  },
  async (request) => ({ query: request.query }),
);
app.post(
  '/kinds',
  {
    schema: {
      body: Type.Object(
        {
          kind: Type.Optional(Type.Union([Type.Literal('a'), Type.Literal('b')])),
          size: Type.Optional(Type.Union([Type.Integer(), Type.String(), Type.Null()])),
          inner: Type.Optional(Type.Union([Type.Object({ name: Type.String() }), Type.Null()])),
        },
        { additionalProperties: false },
      ),
    },
  },
  async () => ({ ok: true }),
);
app.get(
  '/items/:id',
  { schema: { params: Type.Object({ id: Type.String({ maxLength: 200 }) }) } },
  async (request) => request.params,
);
app.get('/boom', async () => {
  throw new Error('secret detail');
});
app.get('/gone', async () => {
  throw new PublicError(409, 'Conflict', 'already gone', { headers: { 'x-why': 'because' } });
});
afterAll(() => app.close());

describe('errors', () => {
  it('maps unknown fields to a 400 naming the field', async () => {
    const res = await app.inject({ method: 'POST', url: '/things', payload: { name: 'a', extra: 1 } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('ValidationError');
    expect(res.json().error.details[0].message).toContain('extra');
  });

  it('checks bodies as sent but converts and defaults query strings', async () => {
    const typed = await app.inject({ method: 'POST', url: '/things', payload: { name: 42 } });
    expect(typed.statusCode).toBe(400);
    const ok = await app.inject({ method: 'POST', url: '/things?limit=5', payload: { name: 'a' } });
    expect(ok.json()).toEqual({ query: { limit: 5 } });
    const defaulted = await app.inject({ method: 'POST', url: '/things', payload: { name: 'a' } });
    expect(defaulted.json()).toEqual({ query: { limit: 10 } });
    const bad = await app.inject({ method: 'POST', url: '/things?limit=zero', payload: { name: 'a' } });
    expect(bad.statusCode).toBe(400);
  });

  it('gives one detail per field that matches no branch of a union, naming the branch it came closest to', async () => {
    const details = async (payload: unknown) =>
      (await app.inject({ method: 'POST', url: '/kinds', payload: payload as object })).json().error.details;
    expect(await details({ kind: 'c' })).toEqual([{ path: 'body/kind', message: 'must be "a" or "b"' }]);
    expect(await details({ size: true })).toEqual([
      { path: 'body/size', message: 'must be an integer, a string, or null' },
    ]);
    expect(await details({ inner: { name: 1 } })).toEqual([
      { path: 'body/inner/name', message: 'must be a string' },
    ]);
    expect(await details([])).toEqual([{ path: 'body', message: 'must be an object' }]);
  });

  it('reads only plain decimals as numbers from a query string', async () => {
    for (const limit of ['true', 'false', '', '0x10', ' 5', '1e1']) {
      const res = await app.inject({ method: 'POST', url: `/things?limit=${limit}`, payload: { name: 'a' } });
      expect({ limit, status: res.statusCode }).toEqual({ limit, status: 400 });
      expect(res.json().error.details).toEqual([
        { path: 'querystring/limit', message: 'must be an integer' },
      ]);
    }
  });

  it('echoes the request id', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/things',
      headers: { 'x-request-id': 'r-9' },
      payload: { name: 'a' },
    });
    expect(res.headers['x-request-id']).toBe('r-9');
  });

  it('maps malformed JSON, oversized and wrong content type to 4xx with the error shape', async () => {
    const bad = await app.inject({
      method: 'POST',
      url: '/things',
      headers: { 'content-type': 'application/json' },
      payload: '{"name":',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('BadRequest');
    const big = await app.inject({ method: 'POST', url: '/things', payload: { name: 'x'.repeat(200) } });
    expect(big.statusCode).toBe(413);
    const text = await app.inject({
      method: 'POST',
      url: '/things',
      headers: { 'content-type': 'text/plain' },
      payload: 'hi',
    });
    expect(text.statusCode).toBe(415);
    expect(text.json().error.code).toBe('UnsupportedMediaType');
  });

  it("answers the router's own refusals in the error shape: a long path parameter by its schema (400), one past the router's limit (414), a bad %-escape (400)", async () => {
    const byItsSchema = await app.inject({ method: 'GET', url: `/items/${'a'.repeat(500)}` });
    expect(byItsSchema.statusCode).toBe(400);
    expect(byItsSchema.json().error).toMatchObject({
      code: 'ValidationError',
      details: [{ path: 'params/id' }],
    });
    const pastTheRouter = await app.inject({ method: 'GET', url: `/items/${'a'.repeat(17_000)}` });
    expect(pastTheRouter.statusCode).toBe(414);
    expect(pastTheRouter.json().error).toMatchObject({ code: 'UriTooLong', requestId: expect.any(String) });
    const badEscape = await app.inject({ method: 'GET', url: '/items/%E0%A4%A' });
    expect(badEscape.statusCode).toBe(400);
    expect(badEscape.json().error).toMatchObject({ code: 'BadRequest', requestId: expect.any(String) });
  });

  it('hides internal errors and keeps the request id', async () => {
    const res = await app.inject({ method: 'GET', url: '/boom', headers: { 'x-request-id': 'req-1' } });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({
      error: { code: 'InternalError', message: 'Something went wrong on our side', requestId: 'req-1' },
    });
  });

  it('sends public errors with their status and headers, and 404 for unknown routes', async () => {
    const res = await app.inject({ method: 'GET', url: '/gone' });
    expect(res.statusCode).toBe(409);
    expect(res.headers['x-why']).toBe('because');
    const missing = await app.inject({ method: 'GET', url: '/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('NotFound');
  });

  it('takes the request id from x-amzn-trace-id and ignores unsafe ids', async () => {
    const trace = await app.inject({
      method: 'GET',
      url: '/boom',
      headers: { 'x-amzn-trace-id': 'Root=1-abc' },
    });
    expect(trace.json().error.requestId).toBe('Root=1-abc');
    const unsafe = await app.inject({ method: 'GET', url: '/boom', headers: { 'x-request-id': 'a b\nc' } });
    expect(unsafe.json().error.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('methods', () => {
  it('answers 405 with an Allow header for a method a known path does not have, 404 for an unknown path', async () => {
    const put = await app.inject({ method: 'PUT', url: '/things?limit=1', payload: { name: 'a' } });
    expect(put.statusCode).toBe(405);
    expect(put.json().error.code).toBe('MethodNotAllowed');
    expect(put.headers.allow).toBe('POST');
    expect(put.headers['x-request-id']).toBe(put.json().error.requestId);
    const get = await app.inject({ method: 'GET', url: '/healthz' });
    expect(get.statusCode).toBe(200);
    const deleteHealth = await app.inject({ method: 'DELETE', url: '/healthz' });
    expect(deleteHealth.headers.allow).toBe('GET, HEAD');
    expect((await app.inject({ method: 'PUT', url: '/nope' })).statusCode).toBe(404);
  });

  it('answers 405 to QUERY without a Content-Type (not the 400 of a body method)', async () => {
    const query = await app.inject({ method: 'QUERY' as 'GET', url: '/healthz' });
    expect(query.statusCode).toBe(405);
    expect(query.headers.allow).toBe('GET, HEAD');
  });
});

describe('health', () => {
  it('is live and ready when only a non-critical dependency is down', async () => {
    expect((await app.inject('/healthz')).statusCode).toBe(200);
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks).toContainEqual(expect.objectContaining({ name: 'cache', ok: false }));
  });
});

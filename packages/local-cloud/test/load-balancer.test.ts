import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessLogFile, haproxyConfig } from '../src/haproxy.ts';
import { startLoadBalancer } from '../src/testing/index.ts';

/** A tiny app instance: answers its health check and says who it is. */
function instance(name: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ name, path: req.url, traceId: req.headers['x-amzn-trace-id'] }));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({ server, url: `http://127.0.0.1:${port}` });
    }),
  );
}

describe('HAProxy config from the route table', () => {
  it('routes each prefix on its listener and nothing else', () => {
    const config = haproxyConfig(
      { public: 1, internal: 2 },
      { 'data-api': { public: ['http://127.0.0.1:10'], internal: ['http://127.0.0.1:11'] } },
    );
    expect(config).toContain('acl data-api_public_paths path_beg /assets/');
    expect(config).toContain('backend data-api_internal');
    expect(config).toContain('option httpchk GET /healthz');
    // No route of an app without instances.
    expect(config).not.toContain('upload-service_public');
  });
});

describe('HAProxy in front of two instances', () => {
  let a: Awaited<ReturnType<typeof instance>>;
  let b: Awaited<ReturnType<typeof instance>>;
  let internalOnly: Awaited<ReturnType<typeof instance>>;
  let lb: Awaited<ReturnType<typeof startLoadBalancer>>;

  beforeAll(async () => {
    [a, b, internalOnly] = await Promise.all([instance('a'), instance('b'), instance('internal')]);
    lb = await startLoadBalancer({
      backends: { 'data-api': { public: [a.url, b.url], internal: [internalOnly.url] } },
    });
  });
  afterAll(async () => {
    await lb?.stop();
    for (const s of [a, b, internalOnly]) s?.server.close();
  });

  const get = async (base: string, path: string) => {
    const res = await fetch(`${base}${path}`);
    return { status: res.status, body: (await res.json()) as { name?: string; error?: { code: string } } };
  };

  it('spreads requests over both instances', async () => {
    const names = new Set<string>();
    for (let i = 0; i < 6; i++) names.add(String((await get(lb.public, '/assets/1')).body.name));
    expect(names).toEqual(new Set(['a', 'b']));
  });

  it('keeps internal paths off the public entry, and unknown paths are a JSON 404', async () => {
    const viaPublic = await get(lb.public, '/internal/assets');
    expect(viaPublic.status).toBe(404);
    expect(viaPublic.body.error?.code).toBe('NotFound');
    expect((await get(lb.internal, '/internal/assets')).body.name).toBe('internal');
    expect((await get(lb.public, '/assetsevil')).status).toBe(404);
  });

  it('loses no request when an instance dies under load', async () => {
    let failures = 0;
    let served = 0;
    const load = (async () => {
      for (let i = 0; i < 300; i++) {
        const res = await fetch(`${lb.public}/assets/${i}`).catch(() => undefined);
        if (res?.status === 200) served++;
        else failures++;
        await res?.body?.cancel();
      }
    })();
    await new Promise((r) => setTimeout(r, 100));
    b.server.closeAllConnections();
    b.server.close();
    await load;
    expect(failures).toBe(0);
    expect(served).toBe(300);
  });
});

describe('what the load balancer resends', () => {
  /** Every request an instance saw, by method; `answer` decides what it does with each. */
  const hits: string[] = [];
  let answer: (req: IncomingMessage, res: ServerResponse) => void = () => {};
  const servers: Server[] = [];
  let lb: Awaited<ReturnType<typeof startLoadBalancer>>;

  const counting = (name: string) =>
    new Promise<string>((resolve) => {
      const server = createServer((req, res) => {
        if (req.url === '/healthz') return res.end('ok');
        hits.push(`${name} ${req.method}`);
        answer(req, res);
      });
      servers.push(server);
      server.listen(0, '127.0.0.1', () =>
        resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`),
      );
    });

  beforeAll(async () => {
    const urls = [await counting('a'), await counting('b')];
    lb = await startLoadBalancer({ backends: { 'data-api': { public: urls, internal: urls } } });
  });
  afterAll(async () => {
    await lb?.stop();
    for (const server of servers) server.close();
  });

  it('tries a request answered 500 once, whatever its method (an ALB retries nothing)', async () => {
    answer = (_req, res) => {
      res.statusCode = 500;
      res.end('{}');
    };
    for (const method of ['POST', 'PATCH', 'GET']) {
      hits.length = 0;
      const res = await fetch(`${lb.internal}/internal/assets`, {
        method,
        body: method === 'GET' ? null : '{}',
      });
      expect(res.status).toBe(500);
      expect(hits, method).toHaveLength(1);
    }
  });

  it('resends a request whose instance closed the connection without a byte of answer', async () => {
    // The first instance to see it dies with it (a SIGKILL mid-request); the second answers.
    answer = (req, res) => {
      if (hits.length === 1) req.socket.destroy();
      else res.end('{}');
    };
    hits.length = 0;
    const res = await fetch(`${lb.internal}/internal/assets`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(200);
    expect(hits).toHaveLength(2);
  });
});

describe("the load balancer's own answers", () => {
  const logDir = mkdtempSync(join(tmpdir(), 'lb-logs-'));
  let lb: Awaited<ReturnType<typeof startLoadBalancer>>;
  let up: Awaited<ReturnType<typeof instance>>;

  beforeAll(async () => {
    up = await instance('up');
    // The internal listener's only instance is a closed port: no instance is up there.
    lb = await startLoadBalancer({
      backends: { 'data-api': { public: [up.url], internal: ['http://127.0.0.1:1'] } },
      logDir,
    });
  });
  afterAll(async () => {
    await lb?.stop();
    up?.server.close();
  });

  const errorOf = async (res: Response) =>
    (await res.json()) as { error: { code: string; requestId?: string } };

  it('answer an unrouted path and a backend with no instance up in the error shape, with a request id', async () => {
    const unrouted = await fetch(`${lb.public}/nowhere`);
    const notFound = await errorOf(unrouted);
    expect(unrouted.status).toBe(404);
    expect(notFound.error.code).toBe('NotFound');
    expect(notFound.error.requestId).toMatch(/^Root=1-\d+-[0-9A-F]+$/);
    expect(unrouted.headers.get('x-request-id')).toBe(notFound.error.requestId);

    const down = await fetch(`${lb.internal}/internal/assets`, { headers: { 'x-request-id': 'probe-1' } });
    expect(down.status).toBe(503);
    expect(await errorOf(down)).toEqual({
      error: { code: 'ServiceUnavailable', message: expect.any(String), requestId: 'probe-1' },
    });
    expect(down.headers.get('x-request-id')).toBe('probe-1');
    // A caller's id that could break the JSON or a log line is not used.
    const forged = await errorOf(await fetch(`${lb.public}/nowhere`, { headers: { 'x-request-id': 'a"b' } }));
    expect(forged.error.requestId).toMatch(/^Root=1-/);
  });

  it('gives every proxied request a trace id, and writes one access log line per request', async () => {
    const res = await fetch(`${lb.public}/assets/7`);
    const { traceId } = (await res.json()) as { traceId?: string };
    expect(traceId).toMatch(/^Root=1-\d+-[0-9A-F]+$/);
    const idPart = String(traceId).split('-').at(-1);
    await new Promise((r) => setTimeout(r, 200));
    const lines = readFileSync(join(logDir, accessLogFile), 'utf8').trim().split('\n');
    const line = lines.find((l) => l.includes(`${idPart} `));
    expect(line).toContain('"GET /assets/7 HTTP/1.1"');
    expect(line).toMatch(/ public data-api_public data-api-0 200 /);
  });

  it("writes no credential from a URL's query to the access log", async () => {
    const secrets = ['eyJhbGciOi.payload.sig', 'f00dfeed', 'AKIDLOCAL%2F20261208', 'tok3n', 'S3cr3t'];
    const query = `access_token=${secrets[0]}&X-Amz-Signature=${secrets[1]}&X-Amz-Credential=${secrets[2]}&limit=5&token=${secrets[3]}&X-Amz-Security-Token=${secrets[4]}`;
    const res = await fetch(`${lb.public}/assets?${query}`, { headers: { 'x-request-id': 'redact-1' } });
    await res.body?.cancel();
    // Any case, and wherever the parameter stands.
    await (
      await fetch(`${lb.public}/nowhere?x=1&ACCESS_TOKEN=${secrets[0]}`, {
        headers: { 'x-request-id': 'redact-2' },
      })
    ).body?.cancel();
    await new Promise((r) => setTimeout(r, 200));
    const log = readFileSync(join(logDir, accessLogFile), 'utf8');
    for (const secret of secrets) expect(log).not.toContain(secret);
    expect(log).toContain(
      '"GET /assets?access_token=REDACTED&X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED&limit=5&token=REDACTED&X-Amz-Security-Token=REDACTED HTTP/1.1"',
    );
    expect(log).toContain('"GET /nowhere?x=1&ACCESS_TOKEN=REDACTED HTTP/1.1"');
  });
});

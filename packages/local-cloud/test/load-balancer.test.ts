import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haproxyConfig } from '../src/haproxy.ts';
import { startLoadBalancer } from '../src/testing/index.ts';

/** A tiny app instance: answers its health check and says who it is. */
function instance(name: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ name, path: req.url }));
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
    expect(config).toMatch(/retry-on all-retryable-errors/);
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

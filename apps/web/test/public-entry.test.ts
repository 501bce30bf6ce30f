import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  devSecrets,
  freePort,
  type LoadBalancer,
  startHaproxy,
  startWebConsole,
  type WebConsole,
} from '@stateless/local-cloud';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The public entry as `pnpm dev` runs it (the console in `dev` mode, HAProxy's generated config in
 * front), probed for files that are not the console's own: the stack's secrets, its other files,
 * the repository, and a file outside it reached through a symlink planted in the console's folder.
 */
const appDir = join(import.meta.dirname, '..');
const repoRoot = join(appDir, '..', '..');
const marker = `not-the-console-${randomBytes(8).toString('hex')}`;
const planted = `planted-${randomBytes(4).toString('hex')}`;
// Where `pnpm dev` keeps its secrets, stack.json and logs: `.local` in the repository.
mkdirSync(join(repoRoot, '.local'), { recursive: true });
const dir = mkdtempSync(join(repoRoot, '.local', 'public-entry-'));
const outside = mkdtempSync(join(tmpdir(), 'outside-'));
const secrets = devSecrets(dir);
let web: WebConsole | undefined;
let lb: LoadBalancer | undefined;
let base = '';

/** A raw request: the path goes on the wire as written (fetch would resolve `..` first). */
const get = (path: string, headers: Record<string, string> = {}) =>
  new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>(
    (resolve, reject) => {
      const req = request(`${base}/`, { path, headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    },
  );

beforeAll(async () => {
  // What the stack's folder holds beside its secrets (stack.json, the logs), and a file elsewhere.
  writeFileSync(join(dir, 'stack.json'), JSON.stringify({ devToken: marker }));
  mkdirSync(join(dir, 'logs'), { recursive: true });
  writeFileSync(join(dir, 'logs', 'data-api-0.log'), `${marker}\n`);
  writeFileSync(join(outside, 'secret.txt'), marker);
  symlinkSync(outside, join(appDir, planted));
  symlinkSync(outside, join(appDir, 'src', planted));
  const port = await freePort();
  web = startWebConsole({
    mode: 'dev',
    port,
    env: { ...secrets },
    logDir: join(dir, 'logs'),
    buildDir: join(dir, 'web'),
  });
  await web.ready;
  lb = await startHaproxy({
    listeners: ['public'],
    backends: {},
    consoleServers: [`http://127.0.0.1:${port}`],
    configDir: dir,
    logDir: join(dir, 'logs'),
  });
  base = lb.urls.public ?? '';
}, 120_000);

afterAll(async () => {
  rmSync(join(appDir, planted), { force: true });
  rmSync(join(appDir, 'src', planted), { force: true });
  await lb?.stop();
  await web?.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

/** Files no request to the public entry may read. */
const files = () => [
  join(dir, 'dev-secrets.json'),
  join(dir, 'stack.json'),
  join(dir, 'logs', 'data-api-0.log'),
  join(outside, 'secret.txt'),
  join(appDir, planted, 'secret.txt'),
  join(appDir, 'src', planted, 'secret.txt'),
  join(repoRoot, 'package.json'),
  join(repoRoot, 'pnpm-workspace.yaml'),
  join(appDir, 'vite.config.ts'),
  join(appDir, 'package.json'),
  join(appDir, 'src', 'main.tsx'),
  '/etc/passwd',
];

/** Vite's ways of asking for a file's content or a module made from it. */
const queries = ['', '?raw', '?import', '?url', '?inline', '?raw??', '?import&raw??', '?import&inline'];

/** Every path through which the dev server's file routes reach a file. */
function pathsTo(file: string): string[] {
  const fromRoot = relative(appDir, file);
  const encoded = [
    fromRoot,
    fromRoot.replaceAll('..', '%2e%2e'),
    fromRoot.replaceAll('../', '..%2f'),
    fromRoot.replaceAll('../', '%2e%2e%2f'),
    `static/../${fromRoot}`,
    `static/..%2f${fromRoot.replaceAll('../', '..%2f')}`,
  ];
  return [
    `/@fs${file}`,
    `/@fs/${encodeURI(file)}`,
    `/@id/${file}`,
    `/@id/@fs${file}`,
    ...encoded.map((p) => `/${p}`),
  ].flatMap((path) => queries.map((query) => `${path}${query}`));
}

describe('the public entry (pnpm dev)', () => {
  it('serves the console: index.html at /, its built files, its config', async () => {
    const index = await get('/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toMatch(/text\/html/);
    const scripts = [...index.body.matchAll(/src="(\/[^"]+\.js)"/g)].map((m) => m[1] ?? '');
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) expect((await get(script)).status, script).toBe(200);
    expect(JSON.parse((await get('/config.json')).body)).toMatchObject({ signIn: { kind: 'dev' } });
  });

  it('reads no file that is not the console’s own, by any of the dev server’s file routes', {
    timeout: 60_000,
  }, async () => {
    const secretValues = Object.values(secrets);
    const probes = [
      ...files().flatMap(pathsTo),
      ...[planted, `src/${planted}`].flatMap((link) => queries.map((query) => `/${link}/secret.txt${query}`)),
      '/.local/dev-secrets.json',
      '/@vite/client',
      '/@vite/env',
      '/@fs/',
      '/node_modules/.vite/deps/_metadata.json',
      '/__open-in-editor?file=package.json',
      '/src/main.tsx',
    ];
    expect(probes.length).toBeGreaterThan(500);
    const leaks: string[] = [];
    for (const path of probes) {
      const { status, body } = await get(path);
      const leaked = [marker, ...secretValues].some((secret) => body.includes(secret));
      // The load balancer's own 404 (JSON): nothing of the console's server answered.
      if (status !== 404 || leaked || !body.startsWith('{"error":'))
        leaks.push(`${path} → ${status}${leaked ? ' (leaked a secret)' : ''}`);
    }
    expect(leaks).toEqual([]);
  });

  it('answers no other origin’s CORS request', async () => {
    for (const origin of ['http://localhost:5173', 'http://127.0.0.1:9999', 'https://evil.example']) {
      const answer = await get('/config.json', { origin });
      expect(answer.status).toBe(200);
      expect(answer.headers['access-control-allow-origin'], origin).toBeUndefined();
    }
  });

  it('answers a path that is neither the console’s nor an API’s with the JSON 404 and its request id', async () => {
    for (const path of ['/nope', '/nope.js', '/internal/assets', '/static/nope.js', '/assetsx']) {
      for (const accept of ['application/json', 'text/html', '*/*']) {
        const answer = await get(path, { accept });
        expect(answer.status, `${path} (${accept})`).toBe(404);
        expect(answer.headers['content-type']).toBe('application/json');
        const body = JSON.parse(answer.body) as { error: { code: string; requestId: string } };
        expect(body.error.code).toBe('NotFound');
        expect(answer.headers['x-request-id']).toBe(body.error.requestId);
        expect(body.error.requestId).toMatch(/\S{8,}/);
      }
    }
    // A caller's own request id is kept, as on the API routes.
    const traced = await get('/nope.js', { 'x-request-id': 'trace-0123456789' });
    expect(traced.headers['x-request-id']).toBe('trace-0123456789');
  });
});

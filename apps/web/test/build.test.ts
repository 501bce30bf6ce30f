import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { matchesPrefix, routes } from '@stateless/topology';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashedFilesDir } from '../build-output.ts';
import type { BudgetReport } from '../scripts/budget.ts';

const run = promisify(execFile);
const appDir = join(import.meta.dirname, '..');
let outDir: string;
let budget: BudgetReport;

/** The production build, as infra uploads it: the real `vite build` into a folder of its own. */
beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'web-build-'));
  await run(
    process.execPath,
    [
      '--import',
      'tsx',
      'node_modules/vite/bin/vite.js',
      'build',
      '--configLoader',
      'native',
      '--outDir',
      outDir,
    ],
    { cwd: appDir },
  );
  budget = JSON.parse(await readFile(join(outDir, 'budget.json'), 'utf8')) as BudgetReport;
}, 120_000);
afterAll(async () => {
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

describe('the console build', () => {
  it('keeps the initial JavaScript, Uppy included, under the 250 KB gzip budget, and reports it', () => {
    expect(budget.limitKb).toBe(250);
    const initial = budget.chunks.filter((c) => c.initial);
    expect(initial.length).toBeGreaterThan(0);
    expect(budget.initialJsGzipKb).toBeCloseTo(
      initial.reduce((sum, c) => sum + c.gzipKb, 0),
      0,
    );
    expect(budget.initialJsGzipKb).toBeLessThanOrEqual(250);
  });

  it('loads the OIDC sign-in only on demand, outside the initial JavaScript', () => {
    expect(budget.chunks.some((c) => !c.initial)).toBe(true);
  });

  it('writes an index.html that loads only files the build produced', async () => {
    const html = await readFile(join(outDir, 'index.html'), 'utf8');
    const files = new Set(
      (await readdir(join(outDir, hashedFilesDir))).map((f) => `/${hashedFilesDir}/${f}`),
    );
    const referenced = [...html.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1]);
    expect(referenced.length).toBeGreaterThan(0);
    for (const file of referenced) expect(files.has(file ?? ''), file).toBe(true);
  });

  it('puts no file under a path the load balancer sends to an API (same origin)', async () => {
    const apiPrefixes = routes.filter((r) => r.listener === 'public').flatMap((r) => r.pathPrefixes);
    expect(apiPrefixes).toContain('/assets');
    const paths = (await readdir(outDir, { recursive: true })).map((f) => `/${f}`);
    expect(paths).toContain('/index.html');
    const shadowed = paths.filter((path) => apiPrefixes.some((prefix) => matchesPrefix(path, prefix)));
    expect(shadowed).toEqual([]);
  });
});

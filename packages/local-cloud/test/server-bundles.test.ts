import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appBundle } from '../src/environments.ts';
import { ProcessError } from '../src/errors.ts';
import { serverBundle } from '../src/server-bundles.ts';
import { repoRoot } from '../src/tools.ts';

/** An app directory as lambda-build expects one: a build script and a server entry. */
function fixtureApp(greeting: string) {
  const appDir = mkdtempSync(join(tmpdir(), 'server-bundle-'));
  mkdirSync(join(appDir, 'src'));
  writeFileSync(join(appDir, 'package.json'), JSON.stringify({ scripts: { build: 'lambda-build' } }));
  writeFileSync(
    join(appDir, 'src/greeting.ts'),
    `export const greeting: string = ${JSON.stringify(greeting)};`,
  );
  writeFileSync(
    join(appDir, 'src/server.ts'),
    `import { greeting } from './greeting.ts';\nconsole.log(greeting);`,
  );
  return appDir;
}

const run = (bundle: string) => execFileSync(process.execPath, [bundle], { encoding: 'utf8' }).trim();

describe('server bundles', () => {
  it('builds an entry once and reuses it until a file it was built from changes', async () => {
    const appDir = fixtureApp('hello');
    const first = await serverBundle({ appDir });
    expect(first.built).toBe(true);
    expect(first.path.startsWith(join(appDir, '.local', 'server-bundles'))).toBe(true);
    expect(run(first.path)).toBe('hello');

    expect(await serverBundle({ appDir })).toEqual({ path: first.path, built: false });

    writeFileSync(join(appDir, 'src/greeting.ts'), 'export const greeting: string = "changed";');
    const rebuilt = await serverBundle({ appDir });
    expect(rebuilt.built).toBe(true);
    expect(rebuilt.path).not.toBe(first.path);
    expect(run(rebuilt.path)).toBe('changed');
    // The older bundle stays for a process that still runs it.
    expect(run(first.path)).toBe('hello');
  });

  it('fails with the build error (no fallback) when the entry does not compile', async () => {
    const appDir = fixtureApp('hello');
    writeFileSync(join(appDir, 'src/greeting.ts'), 'export const greeting = ;');
    const failure = serverBundle({ appDir });
    await expect(failure).rejects.toThrow(ProcessError);
    await expect(failure).rejects.toThrow(/greeting\.ts.*Unexpected ";"/s);
  });

  it("leaves the worker's sharp external, resolved from apps/workflow-worker's node_modules", async () => {
    const bundle = await appBundle('workflow-worker');
    expect(bundle.startsWith(join(repoRoot, 'apps/workflow-worker/.local/server-bundles/'))).toBe(true);
    expect(readFileSync(bundle, 'utf8')).toMatch(/from\s*"sharp"|require\("sharp"\)|import\("sharp"\)/);
    expect(createRequire(bundle).resolve('sharp')).toContain('sharp');
    // Node finds it from the bundle's folder, as an environment's import of it will.
    const loaded = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const { default: sharp } = await import('sharp'); console.log(typeof sharp)",
      ],
      { cwd: join(bundle, '..'), encoding: 'utf8' },
    );
    expect(loaded.trim()).toBe('function');
  });
});

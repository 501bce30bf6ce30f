import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { buildLambda } from '../src/build.ts';

const run = promisify(execFile);
const packageDir = join(import.meta.dirname, '..');
const scratch = await mkdtemp(join(tmpdir(), 'lambda-build-test-'));
afterAll(() => rm(scratch, { recursive: true, force: true }));

// The bench's baseline app: a Fastify route behind @fastify/aws-lambda.
const buildBare = (outDir: string) =>
  buildLambda({
    appDir: join(packageDir, 'bench'),
    entry: 'bare-fastify.ts',
    architecture: 'arm64',
    outDir: join(scratch, outDir),
  });

// Each test bundles with esbuild and zips: seconds on a busy 2-core machine, past vitest's 5 s default.
describe('buildLambda', { timeout: 60_000 }, () => {
  it('gives the same zip bytes for the same code (the deployed hash changes only with the code)', async () => {
    const [first, second] = [await buildBare('a'), await buildBare('b')];
    const digest = async (path: string) =>
      createHash('sha256')
        .update(await readFile(path))
        .digest('hex');
    expect(await digest(first.zipPath)).toBe(await digest(second.zipPath));
    expect(Object.keys(unzipSync(await readFile(first.zipPath)))).toEqual(['lambda.mjs']);
    // The map is beside the zip, and the bundle does not point at it.
    expect(await readFile(join(scratch, 'a', 'lambda.mjs.map'), 'utf8')).toContain('"mappings"');
    expect(await readFile(join(scratch, 'a', 'lambda.mjs'), 'utf8')).not.toContain('sourceMappingURL');
  });

  it('requires Node built-ins instead of importing them (an import runs all their lazy getters)', async () => {
    await buildBare('builtins');
    const bundle = await readFile(join(scratch, 'builtins', 'lambda.mjs'), 'utf8');
    // Fastify needs node:http and friends; only the banner's three imports remain.
    expect(bundle).toMatch(/require\("node:http"\)/);
    expect(bundle.match(/^import .* from ['"][^'"]+['"];?$/gm)).toEqual([
      "import { createRequire as __createRequire } from 'node:module';",
      "import { dirname as __pathDirname } from 'node:path';",
      "import { fileURLToPath as __fileURLToPath } from 'node:url';",
    ]);
    expect(bundle).not.toMatch(/\bfrom\s*"(node:)?[a-z_/]+"/);
    // It runs: the handler answers an ALB event.
    const { stdout } = await run(process.execPath, [
      '--input-type=module',
      '-e',
      `const { handler } = await import(${JSON.stringify(join(scratch, 'builtins', 'lambda.mjs'))});
       const result = await handler({ requestContext: { elb: {} }, httpMethod: 'GET', path: '/', headers: {}, body: '', isBase64Encoded: false }, {});
       console.log(JSON.stringify(result));`,
    ]);
    expect(JSON.parse(stdout)).toMatchObject({ statusCode: 200, body: '{"ok":true}' });
  });
});

describe('the lambda-build command', () => {
  const cli = (args: string[]) =>
    run(process.execPath, [join(packageDir, 'bin/lambda-build.js'), ...args], { cwd: scratch }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );

  it('refuses an unknown architecture, naming the ones it knows', async () => {
    const { code, stderr } = await cli(['--arch', 'sparc']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/--arch sparc: use one of arm64, x86_64, host/);
    expect(stderr).toMatch(/^usage: lambda-build/m);
  });

  it('refuses an unknown option with the usage (exit 2)', async () => {
    const { code, stderr } = await cli(['--minify-harder']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^usage: lambda-build/m);
  });
});

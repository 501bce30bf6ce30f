import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageProblems } from '../src/deploy-packages.ts';
import { environments } from '../src/environments.ts';
import { copyCheckout } from './checkout-copy.ts';

const scratch = mkdtempSync(join(tmpdir(), 'infra-deploy-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Writes a file dated `minutesAgo` before now. */
const write = (root: string, file: string, text: string, minutesAgo: number) => {
  mkdirSync(dirname(join(root, file)), { recursive: true });
  writeFileSync(join(root, file), text);
  const when = new Date(Date.now() - minutesAgo * 60_000);
  utimesSync(join(root, file), when, when);
};

describe('deploying an app checks its package first', () => {
  const root = join(scratch, 'tree');
  const manifest = (name: string, dependencies: Record<string, string> = {}) =>
    JSON.stringify({ name, dependencies });
  write(
    root,
    'apps/data-api/package.json',
    manifest('@stateless/data-api', { '@stateless/contracts': 'workspace:*', fastify: '5' }),
    60,
  );
  write(root, 'apps/data-api/src/app.ts', 'app', 50);
  write(root, 'apps/data-api/test/app.test.ts', 'a test is not in the package', 1);
  write(root, 'packages/contracts/package.json', manifest('@stateless/contracts'), 60);
  write(root, 'packages/contracts/src/index.ts', 'contracts', 40);
  const dev = environments.dev;

  it('refuses a missing package, naming the command that builds it', () => {
    expect(packageProblems(root, dev, ['data-api'])).toEqual([
      'data-api: apps/data-api/dist/lambda.zip is missing; build it first: pnpm --filter @stateless/data-api build',
    ]);
  });

  it('refuses a package older than a source it is built from, its own or a workspace dependency’s', () => {
    write(root, 'apps/data-api/dist/lambda.zip', 'zip', 45);
    expect(packageProblems(root, dev, ['data-api'])).toEqual([
      'data-api: apps/data-api/dist/lambda.zip is older than packages/contracts/src/index.ts; build it again: pnpm --filter @stateless/data-api build',
    ]);
    write(root, 'apps/data-api/dist/lambda.zip', 'zip', 30);
    expect(packageProblems(root, dev, ['data-api'])).toEqual([]);
    write(root, 'apps/data-api/src/app.ts', 'changed', 10);
    expect(packageProblems(root, dev, ['data-api'])).toEqual([
      'data-api: apps/data-api/dist/lambda.zip is older than apps/data-api/src/app.ts; build it again: pnpm --filter @stateless/data-api build',
    ]);
  });

  it('checks every stack a deploy selects (all without names); platform has no package', () => {
    expect(packageProblems(root, dev, ['platform'])).toEqual([]);
    expect(packageProblems(root, dev, []).map((problem) => problem.split(':')[0])).toEqual([
      'workflow',
      'upload-service',
      'data-api',
      'web',
    ]);
  });

  it('`pnpm run deploy:app data-api` in a checkout without the zip stops before synth and Terraform', {
    timeout: 120_000,
  }, () => {
    const checkout = copyCheckout(join(scratch, 'checkout'));
    const { scripts } = JSON.parse(readFileSync(join(checkout, 'infra/package.json'), 'utf8'));
    expect(scripts['deploy:app']).toBe('tsx deploy.ts --ignore-missing-stack-dependencies');
    const run = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'deploy.ts',
        '--ignore-missing-stack-dependencies',
        'data-api',
        '--output',
        join(scratch, 'out'),
      ],
      { cwd: join(checkout, 'infra'), encoding: 'utf8' },
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      'data-api: apps/data-api/dist/lambda.zip is missing; build it first: pnpm --filter @stateless/data-api build',
    );
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/terraform|Synthesiz/i);
  });
});

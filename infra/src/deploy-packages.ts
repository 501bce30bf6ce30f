import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { AppName } from '@stateless/topology';
import type { StackName } from './environment-stack.ts';
import type { Environment } from './environments.ts';

/** What a stack uploads that a build writes: the app whose build writes it, and where (from the root). */
const builtBy = (environment: Environment): Partial<Record<StackName, { app: string; artifact: string }>> => {
  const zip = (app: AppName) => ({ app, artifact: join('infra', environment.lambdas[app].zipPath) });
  return {
    workflow: zip('workflow-worker'),
    'upload-service': zip('upload-service'),
    'data-api': zip('data-api'),
    // The console's build: index.html is written last, so it dates the whole build.
    web: { app: 'web', artifact: 'apps/web/dist/index.html' },
  };
};

const workspaceDirs = (root: string) =>
  ['apps', 'packages'].flatMap((group) =>
    existsSync(join(root, group))
      ? readdirSync(join(root, group)).map((name) => join(root, group, name))
      : [],
  );

const manifestOf = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    name: string;
    dependencies?: Record<string, string>;
  };

/** The newest file under `dir` (none: 0), skipping what builds and installs write. */
function newest(dir: string): { file: string; mtimeMs: number } {
  let found = { file: dir, mtimeMs: 0 };
  if (!existsSync(dir)) return found;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (['node_modules', 'dist', '.turbo'].includes(entry.name)) continue;
    const path = join(dir, entry.name);
    const candidate = entry.isDirectory() ? newest(path) : { file: path, mtimeMs: statSync(path).mtimeMs };
    if (candidate.mtimeMs > found.mtimeMs) found = candidate;
  }
  return found;
}

/**
 * The newest source of an app's build: its own `src/` and package.json, and those of every
 * workspace package it depends on (their code is bundled into it).
 */
function newestSource(root: string, app: string) {
  const byName = new Map(
    workspaceDirs(root)
      .filter((dir) => existsSync(join(dir, 'package.json')))
      .map((dir) => [manifestOf(dir).name, dir]),
  );
  const seen = new Set<string>();
  const visit = (dir: string): { file: string; mtimeMs: number }[] => {
    if (seen.has(dir)) return [];
    seen.add(dir);
    const manifest = manifestOf(dir);
    const local = Object.entries(manifest.dependencies ?? {})
      .filter(([, version]) => version.startsWith('workspace:'))
      .map(([name]) => byName.get(name))
      .filter((d): d is string => d !== undefined);
    const own = [
      newest(join(dir, 'src')),
      { file: join(dir, 'package.json'), mtimeMs: statSync(join(dir, 'package.json')).mtimeMs },
    ];
    return [...own, ...local.flatMap(visit)];
  };
  return visit(join(root, 'apps', app)).reduce((a, b) => (b.mtimeMs > a.mtimeMs ? b : a));
}

/**
 * Why the stacks a deploy selects (all when none is named) cannot be deployed as built: an app
 * package missing, or older than a source it is built from. Each says the command that builds it.
 * Terraform would upload whatever file is there (or fail at plan on a missing one, after init).
 */
export function packageProblems(root: string, environment: Environment, stacks: readonly string[]): string[] {
  const packages = builtBy(environment);
  const selected = stacks.length > 0 ? stacks : Object.keys(packages);
  return selected.flatMap((stack) => {
    const built = packages[stack as StackName];
    if (!built) return [];
    const artifact = resolve(root, built.artifact);
    const build = `pnpm --filter @stateless/${built.app} build`;
    const shown = relative(root, artifact);
    if (!existsSync(artifact)) return [`${stack}: ${shown} is missing; build it first: ${build}`];
    const source = newestSource(root, built.app);
    if (source.mtimeMs > statSync(artifact).mtimeMs) {
      return [`${stack}: ${shown} is older than ${relative(root, source.file)}; build it again: ${build}`];
    }
    return [];
  });
}

import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type DevSecrets, devSecrets, type StackFile, startDevStack } from '@stateless/local-cloud';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackFile;
    secrets: DevSecrets;
  }
}

const appDir = join(import.meta.dirname, '..', '..');
export const rateLimitPerMinute = 200;
/**
 * The stack's MAX_UPLOAD_BYTES, under the 1 GiB default, so the console's refusal proves it takes
 * the upload service's configured limit; above the largest file a test uploads (21 MB).
 */
export const maxUploadBytes = 48 * 1024 * 1024;

/**
 * The console built (`dist`, what the bucket serves in AWS) and the whole stack as `pnpm dev`
 * runs it: local cloud, one instance of every app, HAProxy with the console at the public `/`.
 * The build runs here too, so a direct `vitest run` never tests a stale `dist`.
 */
export default async function setup(project: TestProject) {
  await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'node_modules/vite/bin/vite.js', 'build', '--configLoader', 'native'],
    { cwd: appDir },
  );
  const dir = await mkdtemp(join(tmpdir(), 'web-console-stack-'));
  const stack = await startDevStack({
    dir,
    instances: 1,
    stage: `web${Date.now().toString(36).slice(-6)}`,
    webConsole: 'preview',
    // Low enough for a test to spend a user's minute quickly, far above what a person's console uses.
    appEnv: { RATE_LIMIT_PER_MINUTE: String(rateLimitPerMinute), MAX_UPLOAD_BYTES: String(maxUploadBytes) },
  }).catch(async (error: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw error;
  });
  project.provide('stack', stack.file);
  project.provide('secrets', devSecrets(dir));
  return async () => {
    await stack.stop();
    await rm(dir, { recursive: true, force: true });
  };
}

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './stack.ts';

export const schemathesisBin = join(repoRoot, '.local', 'venv', 'bin', 'schemathesis');
/** Where a check accepts a documented answer the protocol makes right, with the reason. */
export const schemathesisConfig = join(import.meta.dirname, '..', 'schemathesis.toml');

/** The public OpenAPI documents, served through the public entry (the load balancer). */
export const publicDocuments = ['/docs/assets/json', '/docs/uploads/json'];

export interface FuzzRun {
  document: string;
  exitCode: number | null;
  output: string;
}

/**
 * Schemathesis (the pinned venv copy) with every check, a fixed seed and a
 * bounded number of examples per operation, against one OpenAPI document
 * through the load balancer. Exit code 0: no check failed.
 */
export function runSchemathesis(options: {
  baseUrl: string;
  document: string;
  token: string;
  seed?: number;
  maxExamples?: number;
}): Promise<FuzzRun> {
  if (!existsSync(schemathesisBin)) {
    throw new Error(
      `${schemathesisBin} is missing: run \`pnpm setup\` (it installs packages/local-cloud/requirements.txt)`,
    );
  }
  const args = [
    '--no-color',
    '--config-file',
    schemathesisConfig,
    'run',
    `${options.baseUrl}${options.document}`,
    '--url',
    options.baseUrl,
    '--header',
    `Authorization: Bearer ${options.token}`,
    '--checks',
    'all',
    '--seed',
    String(options.seed ?? 20261202),
    '--max-examples',
    String(options.maxExamples ?? 20),
    '--workers',
    '1',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(schemathesisBin, args);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.once('error', reject);
    child.once('exit', (exitCode) => {
      clearTimeout(timer);
      resolve({ document: options.document, exitCode, output });
    });
  });
}

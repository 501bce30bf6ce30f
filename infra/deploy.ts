import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { packageProblems } from './src/deploy-packages.ts';
import { infraDir, selectedEnvironment } from './src/environments.ts';

// `pnpm run deploy[:app] [stacks…] [cdktn deploy options]`: refuses to deploy an app whose
// package is missing or older than its sources (Terraform would upload whatever file is there,
// or fail at plan after init), naming the build command; otherwise runs `cdktn deploy` with
// the same arguments, without the CLI's version check call (CHECKPOINT_DISABLE).
const args = process.argv.slice(2);
/** cdktn deploy's options that take a value: the value is not a stack name. */
const takesValue = new Set([
  '--output',
  '-o',
  '--app',
  '-a',
  '--outputs-file',
  '--var',
  '--var-file',
  '--parallelism',
]);
const stacks = args.filter((arg, i) => !arg.startsWith('-') && !takesValue.has(args[i - 1] ?? ''));
const problems = packageProblems(join(infraDir, '..'), selectedEnvironment(), stacks);
if (problems.length > 0) {
  console.error(
    `Not deploying: what it would upload is not built from the current sources.\n  ${problems.join('\n  ')}`,
  );
  process.exit(1);
}
const cli = spawn(join(infraDir, 'node_modules', '.bin', 'cdktn'), ['deploy', ...args], {
  stdio: 'inherit',
  env: { ...process.env, CHECKPOINT_DISABLE: '1' },
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => cli.kill(signal));
cli.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

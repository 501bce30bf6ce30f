/**
 * `pnpm bench`: each app's Lambda package, in one run on this machine. Zip size as deployed
 * (arm64), and cold start: the import of `lambda.mjs` from the unzipped package in a fresh
 * Node process, median of 10. Beside it, measured in the same rounds (interleaved, so load on
 * a shared machine hits every variant alike): the same app built unminified, and a bare
 * Fastify app behind @fastify/aws-lambda through the same build (the floor). Target (issue 7):
 * under 150 ms. Writes bench/REPORT.md and prints it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildLambda } from '../src/build.ts';
import { deployedArchitecture, hostArchitecture } from '../src/deployment.ts';
import { type BuiltPackage, buildPackage } from '../src/testing.ts';

const run = promisify(execFile);
const rounds = Number(process.env.BENCH_RUNS ?? 10);
const targetMs = 150;
const repo = join(import.meta.dirname, '../../..');
const apps = ['data-api', 'upload-service', 'workflow-worker'] as const;

/** Enough environment for each app's config to load at import (nothing is called). */
const importEnv = {
  PATH: process.env.PATH,
  AWS_REGION: 'us-east-1',
  ASSETS_BUCKET: 'bench-assets',
  STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:bench',
  DATA_API_INTERNAL_URL: 'http://127.0.0.1:1',
  AUTH_JWT_SECRET: 'bench-secret-that-is-at-least-32-characters',
  LOG_LEVEL: 'warn',
};

const importScript = (entry: string) => `
  const cpu = process.cpuUsage();
  const started = performance.now();
  await import(${JSON.stringify(entry)});
  const used = process.cpuUsage(cpu);
  console.log(JSON.stringify({ ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000 }));
  process.exit(0);
`;

async function coldStart(dir: string) {
  const { stdout } = await run(
    process.execPath,
    ['--input-type=module', '-e', importScript(join(dir, 'lambda.mjs'))],
    { cwd: dir, env: importEnv },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { ms: number; cpuMs: number };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

interface Variant {
  name: string;
  zipBytes: number;
  bundleBytes: number;
  /** Where it loads from: the unzipped package, built for this machine. */
  dir: string;
  samples: { ms: number; cpuMs: number }[];
}

const packages: BuiltPackage[] = [];
const scratch = await mkdtemp(join(tmpdir(), 'lambda-bench-'));
try {
  const host = ['--arch', hostArchitecture()];
  const built = async (appDir: string, args: string[] = []) => {
    const pkg = await buildPackage(appDir, args);
    packages.push(pkg);
    return pkg;
  };
  /** Sizes from the build in `outDir`; cold starts from the package unzipped in `dir`. */
  const variantOf = async (name: string, outDir: string, dir: string): Promise<Variant> => ({
    name,
    zipBytes: (await stat(join(outDir, 'lambda.zip'))).size,
    bundleBytes: (await stat(join(outDir, 'lambda.mjs'))).size,
    dir,
    samples: [],
  });
  const measured: { app: Variant; unminified: Variant }[] = [];
  for (const app of apps) {
    const appDir = join(repo, 'apps', app);
    const deployed = await built(appDir);
    // A package with native binaries for another architecture cannot load here: time one built for this one.
    const native = deployed.files.some((file) => file.startsWith('node_modules/'));
    const runnable =
      native && hostArchitecture() !== deployedArchitecture ? await built(appDir, host) : deployed;
    const unminified = await built(appDir, [...host, '--no-minify']);
    measured.push({
      app: await variantOf(app, deployed.outDir, runnable.dir),
      unminified: await variantOf(`${app} (unminified)`, unminified.outDir, unminified.dir),
    });
  }
  const bareOut = join(scratch, 'bare');
  await buildLambda({
    appDir: import.meta.dirname,
    entry: 'bare-fastify.ts',
    architecture: hostArchitecture(),
    outDir: bareOut,
  });
  // No externals: the bundle beside the zip is all the zip holds.
  const bare = await variantOf('bare Fastify', bareOut, bareOut);
  const variants = [...measured.flatMap(({ app, unminified }) => [app, unminified]), bare];
  const load = loadavg()[0] ?? 0;
  for (let round = 0; round < rounds; round += 1)
    for (const variant of variants) variant.samples.push(await coldStart(variant.dir));

  const kib = (bytes: number) => `${Math.round(bytes / 1024)} KiB`;
  const ms = (value: number) => `${Math.round(value)} ms`;
  const bareMs = median(bare.samples.map((s) => s.ms));
  const row = (variant: Variant, unminified?: Variant) => {
    const wall = median(variant.samples.map((s) => s.ms));
    const cpu = median(variant.samples.map((s) => s.cpuMs));
    const vsUnminified = unminified ? (wall / median(unminified.samples.map((s) => s.ms))).toFixed(2) : '';
    const met = unminified ? (wall < targetMs ? 'yes' : 'no') : '';
    return `| ${variant.name} | ${kib(variant.zipBytes)} | ${kib(variant.bundleBytes)} | ${ms(wall)} | ${ms(cpu)} | ${vsUnminified} | ${(wall / bareMs).toFixed(2)} | ${met} |`;
  };
  const report = [
    '# Lambda packages: size and cold start',
    '',
    `Generated by \`pnpm bench\` (packages/lambda-build/bench/run.ts) on ${new Date().toISOString().slice(0, 10)}:`,
    `Node ${process.versions.node}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, load average ${load.toFixed(1)} at the start of the rounds.`,
    '',
    `Zip: the package infra deploys (${deployedArchitecture}; the worker's holds sharp's linux-${deployedArchitecture} binaries). `,
    `Cold start: \`await import('lambda.mjs')\` from the unzipped package in a fresh Node process (the`,
    `worker's built for this machine, ${hostArchitecture()}, so sharp loads), median of ${rounds}; CPU is user + system`,
    'time of that import (less sensitive than wall time to other work on a shared machine). The variants',
    'run interleaved, round by round. Target: under 150 ms.',
    '',
    '| package | zip | lambda.mjs | cold start | CPU | vs unminified | vs bare Fastify | < 150 ms |',
    '|---|---|---|---|---|---|---|---|',
    ...measured.flatMap(({ app, unminified }) => [row(app, unminified), row(unminified)]),
    row(bare),
    '',
  ].join('\n');
  const reportFile = join(import.meta.dirname, 'REPORT.md');
  await writeFile(reportFile, report);
  // As the repository's biome config wants Markdown (aligned tables), so the committed report passes lint.
  await promisify(execFile)(join(import.meta.dirname, '../node_modules/.bin/biome'), [
    'format',
    '--write',
    reportFile,
  ]);
  console.log(report);
} finally {
  await Promise.all(packages.map((pkg) => pkg.remove()));
  await rm(scratch, { recursive: true, force: true });
}

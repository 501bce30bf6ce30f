/**
 * `pnpm bench`: each app's Lambda package, in one run on this machine. Zip size as deployed
 * (arm64), and cold start: the import of `lambda.mjs` from the unzipped package in a fresh
 * Node process, median of 10. Then, in the same process, the first event (one that needs no
 * backend), so work an entry leaves to its first event is measured too. Beside it, measured in
 * the same rounds (interleaved, so load on a shared machine hits every variant alike): the same
 * app built unminified, and a bare Fastify app behind @fastify/aws-lambda through the same build
 * (the floor). Target (issue 7): under 150 ms. Writes bench/REPORT.md and prints it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildLambda } from '../src/build.ts';
import { deployedArchitecture, hostArchitecture } from '../src/deployment.ts';
import { albEvent, type BuiltPackage, buildPackage, lambdaContext } from '../src/testing.ts';

const run = promisify(execFile);
const rounds = Number(process.env.BENCH_RUNS ?? 10);
const targetMs = 150;
const repo = join(import.meta.dirname, '../../..');
const apps = ['data-api', 'upload-service', 'workflow-worker'] as const;

/**
 * Enough environment for each app's config to load (at import, or on the first event where the
 * entry loads it then), with every backend pointing at nothing: no first event below calls one.
 */
const importEnv = {
  PATH: process.env.PATH,
  AWS_REGION: 'us-east-1',
  ASSETS_BUCKET: 'bench-assets',
  ASSETS_TABLE: 'bench-assets',
  REDIS_URL: 'redis://127.0.0.1:1',
  STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:bench',
  DATA_API_INTERNAL_URL: 'http://127.0.0.1:1',
  AUTH_JWT_SECRET: 'bench-secret-that-is-at-least-32-characters',
  SERVICE_TOKEN_SECRET: 'bench-service-secret-at-least-32-characters',
  CURSOR_SECRET: 'bench-cursor-secret-that-is-at-least-32-chars',
  LOG_LEVEL: 'warn',
};

const publicTargetGroup = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/bench-public/1';
/**
 * Each package's first event: one that needs no backend, so it measures what the entry does
 * on its first event (data-api builds its apps and clients then), not a network round trip.
 * The HTTP apps serve their OpenAPI document; the worker refuses a payload its step's schema
 * does not match (its image steps need S3; the sharp row below is what their first one loads).
 */
const firstEvents: Record<(typeof apps)[number] | 'bare', unknown> = {
  'data-api': albEvent(publicTargetGroup, 'GET', '/docs/assets/json'),
  'upload-service': albEvent(publicTargetGroup, 'GET', '/docs/uploads/json'),
  'workflow-worker': { step: 'thumbnail', assetId: 'bench' },
  bare: albEvent(publicTargetGroup, 'GET', '/'),
};

const importScript = (entry: string, event: unknown) => `
  const cpu = process.cpuUsage();
  const started = performance.now();
  const { handler } = await import(${JSON.stringify(entry)});
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const eventStarted = performance.now();
  // A refusal (the worker's invalid payload) is a handled outcome here, as it is in Lambda.
  await handler(${JSON.stringify(event)}, { ...${JSON.stringify(lambdaContext())}, getRemainingTimeInMillis: () => 10000 }).catch(() => {});
  const firstMs = performance.now() - eventStarted;
  console.log(JSON.stringify({ ms, cpuMs: (used.user + used.system) / 1000, firstMs }));
  process.exit(0);
`;

interface Sample {
  ms: number;
  cpuMs: number;
  /** The first event, after the import. */
  firstMs: number;
}

async function coldStart(dir: string, event: unknown) {
  const { stdout } = await run(
    process.execPath,
    ['--input-type=module', '-e', importScript(join(dir, 'lambda.mjs'), event)],
    { cwd: dir, env: importEnv },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Sample;
}

/** The import of sharp from the worker's package in a fresh process: what its first image step loads. */
async function sharpLoad(dir: string) {
  const script = `
    const cpu = process.cpuUsage();
    const started = performance.now();
    await import('sharp');
    const used = process.cpuUsage(cpu);
    console.log(JSON.stringify({ ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000 }));
  `;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: dir,
    env: importEnv,
  });
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
  event: unknown;
  samples: Sample[];
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
  const variantOf = async (name: string, outDir: string, dir: string, event: unknown): Promise<Variant> => ({
    name,
    zipBytes: (await stat(join(outDir, 'lambda.zip'))).size,
    bundleBytes: (await stat(join(outDir, 'lambda.mjs'))).size,
    dir,
    event,
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
      app: await variantOf(app, deployed.outDir, runnable.dir, firstEvents[app]),
      unminified: await variantOf(`${app} (unminified)`, unminified.outDir, unminified.dir, firstEvents[app]),
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
  const bare = await variantOf('bare Fastify', bareOut, bareOut, firstEvents.bare);
  const variants = [...measured.flatMap(({ app, unminified }) => [app, unminified]), bare];
  const worker = measured.find(({ app }) => app.name === 'workflow-worker')?.app;
  const sharpSamples: { ms: number; cpuMs: number }[] = [];
  const load = loadavg()[0] ?? 0;
  for (let round = 0; round < rounds; round += 1) {
    for (const variant of variants) variant.samples.push(await coldStart(variant.dir, variant.event));
    if (worker) sharpSamples.push(await sharpLoad(worker.dir));
  }
  const loadAfter = loadavg()[0] ?? 0;

  const kib = (bytes: number) => `${Math.round(bytes / 1024)} KiB`;
  const ms = (value: number) => `${Math.round(value)} ms`;
  const bareMs = median(bare.samples.map((s) => s.ms));
  const row = (variant: Variant, unminified?: Variant) => {
    const wall = median(variant.samples.map((s) => s.ms));
    const cpu = median(variant.samples.map((s) => s.cpuMs));
    const first = median(variant.samples.map((s) => s.firstMs));
    const vsUnminified = unminified ? (wall / median(unminified.samples.map((s) => s.ms))).toFixed(2) : '';
    const met = unminified ? (wall < targetMs ? 'yes' : 'no') : '';
    return `| ${variant.name} | ${kib(variant.zipBytes)} | ${kib(variant.bundleBytes)} | ${ms(wall)} | ${ms(cpu)} | ${ms(first)} | ${vsUnminified} | ${(wall / bareMs).toFixed(2)} | ${met} |`;
  };
  const sharpNote = sharpSamples.length
    ? [
        '',
        `The worker loads sharp (libvips) on its first image step (inspect, thumbnail), not at import: ` +
          `${ms(median(sharpSamples.map((s) => s.ms)))} (CPU ${ms(median(sharpSamples.map((s) => s.cpuMs)))}), ` +
          'the import of sharp from its package in a fresh process, measured in the same rounds.',
      ]
    : [];
  const report = [
    '# Lambda packages: size and cold start',
    '',
    `Generated by \`pnpm bench\` (packages/lambda-build/bench/run.ts) on ${new Date().toISOString().slice(0, 10)}:`,
    `Node ${process.versions.node}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, load average ${load.toFixed(1)} at the start of the rounds, ${loadAfter.toFixed(1)} at the end.`,
    '',
    `Zip: the package infra deploys (${deployedArchitecture}; the worker's holds sharp's linux-${deployedArchitecture} binaries). `,
    `Cold start: \`await import('lambda.mjs')\` from the unzipped package in a fresh Node process (the`,
    `worker's built for this machine, ${hostArchitecture()}, so its sharp loads), median of ${rounds}; CPU is user + system`,
    'time of that import (less sensitive than wall time to other work on a shared machine). First event:',
    "the handler's first call in that process, right after the import, with an event that needs no",
    "backend (the HTTP apps' OpenAPI document, data-api building its apps and clients first; a payload",
    'the worker refuses), so what an entry leaves to its first event shows. The variants run',
    'interleaved, round by round. Target: under 150 ms.',
    '',
    '| package | zip | lambda.mjs | cold start | CPU | first event | vs unminified | vs bare Fastify | < 150 ms |',
    '|---|---|---|---|---|---|---|---|---|',
    ...measured.flatMap(({ app, unminified }) => [row(app, unminified), row(unminified)]),
    row(bare),
    ...sharpNote,
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

/**
 * For the apps' bundle tests: build the package with the app's own `build` script, unzip it,
 * and call its handler in a plain Node process, with only the environment infra would give
 * it (no tsx, no workspace around it).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';

const run = promisify(execFile);

export interface BuiltPackage {
  /** Paths inside the zip. */
  files: string[];
  /** The zip's contents, extracted. */
  dir: string;
  /** What the build left beside the zip (`lambda.zip`, `lambda.mjs.map`...). */
  outDir: string;
  remove(): Promise<void>;
}

/** `pnpm run build` in `appDir` into a temporary directory, with extra build arguments (`--arch host`). */
export async function buildPackage(appDir: string, args: readonly string[] = []): Promise<BuiltPackage> {
  const workDir = await mkdtemp(join(tmpdir(), 'lambda-package-'));
  const outDir = join(workDir, 'dist');
  await run('pnpm', ['run', '--silent', 'build', '--out-dir', outDir, ...args], { cwd: appDir });
  const dir = join(workDir, 'package');
  const entries = Object.entries(unzipSync(await readFile(join(outDir, 'lambda.zip'))));
  for (const [name, bytes] of entries) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), bytes);
  }
  return {
    files: entries.map(([name]) => name),
    dir,
    outDir,
    remove: () => rm(workDir, { recursive: true, force: true }),
  };
}

export type Outcome<T = unknown> = { result: T } | { error: { message: string; stack: string } };

/** An ALB request event, single-value headers (as the target groups are configured). */
export function albEvent(
  targetGroupArn: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; query?: Record<string, string>; body?: unknown } = {},
) {
  return {
    requestContext: { elb: { targetGroupArn } },
    httpMethod: method,
    path,
    queryStringParameters: options.query ?? {},
    headers: {
      host: 'api.example.com',
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-proto': 'https',
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    body: options.body === undefined ? '' : JSON.stringify(options.body),
    isBase64Encoded: false,
  };
}

/** A Lambda context with what handlers read. */
export const lambdaContext = (functionName = 'test-function') => ({
  functionName,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
  memoryLimitInMB: '512',
  awsRequestId: 'test-request',
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: 'test-stream',
  callbackWaitsForEmptyEventLoop: true,
});

/**
 * Imports `lambda.mjs` from the extracted package in a new Node process and invokes its
 * handler with each event in turn. `env` is the whole environment (PATH is added).
 */
export async function invokePackage<T = unknown>(
  pkg: Pick<BuiltPackage, 'dir'>,
  events: readonly unknown[],
  env: Record<string, string | undefined>,
): Promise<{ node: string; outcomes: Outcome<T>[] }> {
  const script = `
    const { handler } = await import(${JSON.stringify(join(pkg.dir, 'lambda.mjs'))});
    const context = { ...JSON.parse(process.argv[1]), getRemainingTimeInMillis: () => 10000 };
    const outcomes = [];
    for (const event of JSON.parse(process.argv[2])) {
      try {
        outcomes.push({ result: await handler(event, context) });
      } catch (error) {
        outcomes.push({ error: { message: error.message, stack: error.stack } });
      }
    }
    console.log(JSON.stringify({ node: process.versions.node, outcomes }));
    process.exit(0);
  `;
  const { stdout } = await run(
    process.execPath,
    ['--input-type=module', '-e', script, JSON.stringify(lambdaContext()), JSON.stringify(events)],
    { cwd: pkg.dir, env: { PATH: process.env.PATH, ...env }, maxBuffer: 16 * 1024 * 1024 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
}

/**
 * The Node major the workspace declares (root package.json `engines.node`, ">=N"): the one
 * number the install, the tests and infra's Lambda runtime (nodejs<N>.x) all read.
 */
export async function declaredNodeMajor(): Promise<string> {
  const root = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    engines: { node: string };
  };
  const major = /^>=(\d+)$/.exec(root.engines.node)?.[1];
  if (!major) throw new Error(`engines.node is ${root.engines.node}, not ">=N"`);
  return major;
}

/** The result of a successful invocation, or an error naming what happened. */
export function resultOf<T>(outcome: Outcome<T> | undefined): T {
  if (!outcome || !('result' in outcome)) throw new Error(`invocation failed: ${JSON.stringify(outcome)}`);
  return outcome.result;
}

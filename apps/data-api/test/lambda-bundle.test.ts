import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { createDataApiInternalClient } from '@stateless/contracts';
import type { ALBResult } from 'aws-lambda';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  cursorSecret,
  type Instance,
  newAsset,
  secret,
  serviceToken,
  startInstance,
  testConfig,
  uniqueOwner,
  userToken,
} from './helpers.ts';
import { albEvent, lambdaContext, targetGroups } from './lambda-events.ts';

/**
 * The deployment package itself: the real build script, then `lambda.handler`
 * from the unzipped package in a plain Node process with only the environment
 * infra would give it (no tsx, no workspace around it).
 */
const run = promisify(execFile);
const appDir = join(import.meta.dirname, '..');
let workDir: string;
let unzipped: string;
let instance: Instance;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'data-api-lambda-'));
  const outDir = join(workDir, 'dist');
  await run(process.execPath, ['--import', 'tsx', join(appDir, 'scripts/build-lambda.ts'), outDir], {
    cwd: appDir,
  });
  unzipped = join(workDir, 'package');
  for (const [name, bytes] of Object.entries(unzipSync(await readFile(join(outDir, 'lambda.zip'))))) {
    await mkdir(dirname(join(unzipped, name)), { recursive: true });
    await writeFile(join(unzipped, name), bytes);
  }
  instance = await startInstance(testConfig());
}, 120_000);
afterAll(async () => {
  await instance?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

type Outcome = { result: ALBResult } | { error: { message: string; stack: string } };

/** The Node major the workspace declares (root package.json `engines`), which infra deploys as the Lambda runtime. */
const declaredNodeMajor = async () => {
  const root = JSON.parse(await readFile(join(appDir, '../../package.json'), 'utf8')) as {
    engines: { node: string };
  };
  return /^>=(\d+)$/.exec(root.engines.node)?.[1];
};
let packageRanOn: string | undefined;

/** Imports `lambda.mjs` from the package in a new Node process and invokes it with each event in turn. */
async function invokePackage(events: unknown[]): Promise<Outcome[]> {
  const script = `
    const { handler } = await import(${JSON.stringify(join(unzipped, 'lambda.mjs'))});
    const context = JSON.parse(process.argv[1]);
    context.getRemainingTimeInMillis = () => 10000;
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
    {
      cwd: workDir,
      env: {
        PATH: process.env.PATH,
        ...inject('cloud').env,
        LOG_LEVEL: 'warn',
        AUTH_JWT_SECRET: secret,
        CURSOR_SECRET: cursorSecret,
        INTERNAL_TARGET_GROUP_ARN: targetGroups.internal,
      },
    },
  );
  const { node, outcomes } = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
  packageRanOn = node;
  return outcomes;
}

function resultOf(outcome: Outcome | undefined): ALBResult {
  if (!outcome || !('result' in outcome)) throw new Error(`invocation failed: ${JSON.stringify(outcome)}`);
  return outcome.result;
}

describe('the built Lambda package', () => {
  it('holds lambda.mjs at its root and serves ALB events from it', async () => {
    const ownerId = uniqueOwner();
    const body = newAsset(ownerId);
    const internal = createDataApiInternalClient({
      baseUrl: instance.internalUrl,
      token: await serviceToken(),
    });
    await internal.createAsset(body);

    const [read, favicon, unknown] = await invokePackage([
      albEvent(targetGroups.public, 'GET', `/assets/${body.id}`, { token: await userToken(ownerId) }),
      // Swagger UI's files are read from disk beside the bundle; PNGs go back base64-encoded.
      albEvent(targetGroups.public, 'GET', '/docs/assets/static/favicon-16x16.png'),
      { task: 'unknown' },
    ]);
    expect(resultOf(read).statusCode).toBe(200);
    expect(JSON.parse(resultOf(read).body ?? '')).toMatchObject({
      id: body.id,
      status: 'PENDING',
      version: 1,
    });
    expect(resultOf(favicon)).toMatchObject({ statusCode: 200, isBase64Encoded: true });
    expect(
      Buffer.from(resultOf(favicon).body ?? '', 'base64')
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
    // The source map is applied: the stack names the TypeScript source, not the bundle.
    expect(unknown).toEqual({
      error: {
        message: expect.stringMatching(/unsupported event/),
        stack: expect.stringMatching(/src\/lambda\.ts:\d+/),
      },
    });
    // On the Node major the Lambda runtime is deployed with.
    expect(packageRanOn?.split('.')[0]).toBe(await declaredNodeMajor());
  });
});

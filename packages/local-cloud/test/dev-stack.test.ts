import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient, createDynamoDbClient, createS3Client } from '@stateless/aws';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { StackFile } from '../src/stack.ts';
import { localCredentials } from '../src/stepfunctions/lambda-invoker.ts';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until<T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined) return value;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('pnpm dev', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stack-'));
  // `bash scripts/dev.sh` as the README says (this machine is installed: the install is skipped),
  // in a process group of its own, as a terminal or a supervisor runs it.
  const cli = spawn('bash', ['scripts/dev.sh'], {
    cwd: join(import.meta.dirname, '../../..'),
    detached: true,
    // As from a fresh shell: not the variables this test run set to reach its own local cloud.
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !(name in inject('cloud').env))),
      STACK_SKIP_INSTALL: '1',
      STACK_DIR: dir,
      STACK_INSTANCES: '2',
      STACK_STAGE: 'devtest',
      STACK_SWEEP_SECONDS: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  cli.stdout.on('data', (d) => (output += d));
  cli.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code)));
  const stackFile = join(dir, 'stack.json');
  let stack: StackFile;

  afterAll(async () => {
    if (cli.exitCode === null && cli.pid !== undefined) process.kill(-cli.pid, 'SIGKILL');
    for (const pid of stack?.pids ?? []) if (alive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('comes up with every instance healthy behind the load balancer and writes stack.json', {
    timeout: 120_000,
  }, async () => {
    stack = await until(
      `stack.json (output so far:\n${output})`,
      () => (existsSync(stackFile) ? (JSON.parse(readFileSync(stackFile, 'utf8')) as StackFile) : undefined),
      90_000,
    );
    console.log(`pnpm dev: all healthy in ${stack.startedInMs} ms`);
    for (const key of [
      'lb',
      'internal',
      'aws',
      'stepfunctions',
      'lambda',
      'redis',
      'table',
      'bucket',
    ] as const) {
      expect(stack[key], key).toBeTruthy();
    }
    expect(stack.stateMachineArn).toMatch(
      /^arn:aws:states:us-east-1:\d{12}:stateMachine:devtest-asset-pipeline$/,
    );
    expect(stack.instances).toHaveLength(6);
    for (const instance of stack.instances) {
      for (const url of instance.urls) expect((await fetch(`${url}/healthz`)).status, url).toBe(200);
    }
    // The console's URL is the first thing `pnpm dev` prints, on the stable default port (or with
    // a note naming the one it fell back from, when something else holds 8480).
    const banner = await until(
      'the banner',
      () => (output.includes('web console') ? output : undefined),
      10_000,
    );
    const firstUrlLine = banner.split('\n').find((line) => /https?:\/\//.test(line));
    expect(firstUrlLine?.trim()).toMatch(
      new RegExp(`^web console +${stack.console?.replaceAll('.', '\\.')}`),
    );
    if (new URL(stack.console ?? '').port !== '8480') expect(firstUrlLine).toContain('(port 8480 was taken');
    // Each listener reaches its app. The public entry's other paths are the web console's; the
    // internal entry answers unknown paths with the load balancer's JSON 404, not a 503.
    const webConsole = await fetch(`${stack.lb}/`);
    expect(webConsole.status).toBe(200);
    expect(webConsole.headers.get('content-type')).toMatch(/text\/html/);
    const internalMiss = await fetch(`${stack.internal}/nope`);
    expect(internalMiss.status).toBe(404);
    // Every Node process of the stack (the CLI, every app instance, the Step Functions server) runs
    // the Node major the workspace declares in engines, which is also the Lambda runtime infra deploys.
    const declared = /^>=(\d+)$/.exec(
      JSON.parse(readFileSync(join(import.meta.dirname, '../../../package.json'), 'utf8')).engines.node,
    )?.[1];
    const nodeExes = stack.pids
      .map((pid) => readlinkSync(`/proc/${pid}/exe`))
      .filter((exe) => basename(exe) === 'node');
    expect(nodeExes.length).toBeGreaterThanOrEqual(1 + stack.instances.length);
    for (const exe of new Set(nodeExes)) {
      const version = execFileSync(exe, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
      expect(version.split('.')[0], exe).toBe(declared);
    }
    // The worker's invoke entry takes only callers signed with the local cloud's credentials.
    const invokePath = '/2015-03-31/functions/devtest-workflow-worker/invocations';
    const forged = await fetch(`${stack.lambda}${invokePath}`, {
      method: 'POST',
      body: '{"step":"markFailed"}',
    });
    expect(forged.status).toBe(403);
    expect(forged.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    const lambda = new LambdaClient({
      endpoint: stack.lambda,
      region: 'us-east-1',
      credentials: localCredentials,
    });
    const invoked = await lambda.send(
      new InvokeCommand({
        FunctionName: 'devtest-workflow-worker',
        Payload: new TextEncoder().encode(JSON.stringify({ step: 'no-such-step' })),
      }),
    );
    lambda.destroy();
    expect(invoked.FunctionError).toBe('Unhandled');
  });

  it('sweeps the S3 leftovers of deleted assets on a schedule, as infra does in AWS', async () => {
    // The dev stack's own moto, not this test run's.
    const region = 'us-east-1';
    const endpoint = { endpoint: stack.aws };
    const s3 = createS3Client({ region, forcePathStyle: true }, endpoint);
    const documents = createDocumentClient({ region }, createDynamoDbClient({ region }, endpoint));
    try {
      // What a DELETE leaves behind when S3 fails: a flagged tombstone and its object.
      const id = `leftover-${Date.now()}`;
      const Key = `originals/${id}`;
      await s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key, Body: 'bytes' }));
      await documents.send(
        new PutCommand({
          TableName: stack.table,
          Item: {
            id,
            status: 'DELETED',
            version: 2,
            formerOwnerId: 'someone',
            originalKey: Key,
            deletedAt: new Date().toISOString(),
            cleanupPending: '1',
          },
        }),
      );
      const objectGone = () =>
        s3.send(new HeadObjectCommand({ Bucket: stack.bucket, Key })).then(
          () => false,
          () => true,
        );
      // The CLI logs a sweep after the data API answers, which is after the object is gone:
      // wait for the log line, not the object, or the assertion races the log.
      const swept = '[schedule] sweep-deleted: 1 swept, 0 failed';
      await until('the sweep log line', () => output.includes(swept) || undefined, 15_000);
      expect(await objectGone()).toBe(true);
      const { Item } = await documents.send(
        new GetCommand({ TableName: stack.table, Key: { id }, ConsistentRead: true }),
      );
      expect(Item?.cleanupPending).toBeUndefined();
    } finally {
      s3.destroy();
      documents.destroy();
    }
  });

  it('stops every process it started on SIGINT to its one PID, exits 0, and removes stack.json', async () => {
    const pids = stack.pids;
    expect(pids.length).toBeGreaterThanOrEqual(10);
    // Written whole (temp file + rename): nothing else of it in the directory.
    expect(readdirSync(dir).filter((name) => name.startsWith('stack.json'))).toEqual(['stack.json']);
    // SIGINT to the one PID `bash scripts/dev.sh` started, as a supervisor, an IDE or
    // `timeout -s INT` sends it (Ctrl-C sends it to the whole group, this PID included).
    process.kill(cli.pid ?? 0, 'SIGINT');
    expect(await exited).toBe(0);
    expect(output).toContain('stopped; nothing left running');
    expect(output).not.toContain('ELIFECYCLE');
    // Gone with the stack: a script waiting for it on the next start cannot read dead ports.
    expect(existsSync(stackFile)).toBe(false);
    const leftover = await until(
      'all processes to exit',
      () => {
        const living = pids.filter(alive);
        return living.length === 0 ? living : undefined;
      },
      15_000,
    );
    expect(leftover).toEqual([]);
  });
});

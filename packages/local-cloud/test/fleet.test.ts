import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { transientErrors } from '@stateless/workflows';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { appBundle, cpuUnits, type Environment } from '../src/environments.ts';
import { type Fleet, type FleetOptions, startFleet } from '../src/fleet.ts';
import { LambdaInvoker } from '../src/stepfunctions/lambda-invoker.ts';

/** What a data-api environment needs besides the cloud's variables. */
const appEnv = () => ({
  ...inject('cloud').env,
  AUTH_JWT_SECRET: randomBytes(32).toString('base64url'),
  SERVICE_TOKEN_SECRET: randomBytes(32).toString('base64url'),
  CURSOR_SECRET: randomBytes(32).toString('base64url'),
  REDIS_KEY_PREFIX: `fleet-${randomBytes(3).toString('hex')}:`,
  LOG_LEVEL: 'warn',
});

const dataApiFleet = (policy: { min: number; max: number }, options: Partial<FleetOptions> = {}) =>
  startFleet({
    apps: { 'data-api': policy },
    env: appEnv(),
    listeners: ['public', 'internal'],
    logDir: mkdtempSync(join(tmpdir(), 'fleet-')),
    ...options,
  });

async function until(what: string, probe: () => boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * Requests from `clients` concurrent callers until `done()`: an unauthenticated list (a 401 the
 * data API answers itself, after its routing, hooks and error handler), each answer recorded.
 */
async function load(url: string, clients: number, done: () => boolean) {
  const statuses: number[] = [];
  const bodies: unknown[] = [];
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (!done()) {
        const res = await fetch(`${url}/assets`);
        statuses.push(res.status);
        bodies.push({
          status: res.status,
          requestId: res.headers.get('x-request-id'),
          body: await res.json(),
        });
      }
    }),
  );
  return { statuses, bodies };
}

/** CPU time (user + system) a process has used, in seconds: /proc/<pid>/stat fields 14 and 15. */
function cpuSeconds(pid: number) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime field 15; clock ticks are 100 a second on Linux.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const throttledPeriods = (environment: Environment) =>
  Number(/nr_throttled (\d+)/.exec(readFileSync(join(environment.cgroup ?? '', 'cpu.stat'), 'utf8'))?.[1]);

describe('a fleet of data-api environments', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await dataApiFleet({ min: 1, max: 2 }, { idleMs: 1_500 });
  });
  afterAll(() => fleet?.stop());

  it("runs the app's bundle, as its Lambda does, not tsx", async () => {
    const [environment] = fleet.app('data-api').environments();
    const commandLine = readFileSync(`/proc/${environment?.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    expect(commandLine).toEqual([process.execPath, await appBundle('data-api')]);
    expect(environment?.coldStartMs).toBeGreaterThan(0);
  });

  it.runIf(!cpuUnits().unavailable)(
    'caps an environment at its CPU: busy, it uses no more than its cap',
    async () => {
      const [environment] = fleet.app('data-api').environments();
      if (!environment?.cgroup || environment.cpu === null) throw new Error('the environment is not capped');
      // Its share of a core, from the function's memory: 512 MB / 1,769 MB × 0.35.
      expect(environment.cpu).toBeCloseTo((512 / 1769) * 0.35, 5);
      await fleet.app('data-api').scaleTo(1);
      const before = {
        cpu: cpuSeconds(environment.pid),
        at: performance.now(),
        throttled: throttledPeriods(environment),
      };
      let stop = false;
      const measured = load(fleet.urls.public as string, 8, () => stop);
      await sleep(3_000);
      stop = true;
      const { statuses } = await measured;
      const wall = (performance.now() - before.at) / 1000;
      const used = cpuSeconds(environment.pid) - before.cpu;
      // It wanted more than its cap (the kernel throttled it), and got no more: at most the cap over
      // the interval, plus one clock tick and one period of slack.
      expect(throttledPeriods(environment)).toBeGreaterThan(before.throttled);
      expect(used).toBeLessThanOrEqual(environment.cpu * wall + 0.02);
      // Slow is not gone: every request waited for the busy environment, none was refused (503).
      expect(new Set(statuses)).toEqual(new Set([401]));
      await fleet.app('data-api').setPolicy({ min: 1, max: 2 });
    },
  );

  it('serves one request at a time per environment; a second concurrent request starts a second', async () => {
    const app = fleet.app('data-api');
    const coldStarts = () => fleet.metrics().coldStarts.filter((c) => c.app === 'data-api').length;
    const before = coldStarts();
    expect(app.environments()).toHaveLength(1);
    await fleet.runtime.send('clear counters'); // the maxima (qmax) from here on
    let stop = false;
    // Two callers: while one request is in flight, the other waits for an environment.
    const traffic = load(fleet.urls.public as string, 2, () => stop);
    await until('a second environment', () => app.environments().length === 2);
    stop = true;
    const { statuses } = await traffic;
    expect(new Set(statuses)).toEqual(new Set([401]));
    // One cold start, measured, per environment started.
    expect(coldStarts()).toBe(before + 1);
    const coldStart = fleet.metrics().coldStarts.at(-1);
    expect(coldStart?.ms).toBeGreaterThan(0);
    // Every environment takes one request at a time, so with one environment up the second
    // caller's requests waited in the backend's queue (a Node server alone would take both).
    const rows = (await fleet.runtime.stat()).filter((r) => r.pxname.startsWith('data-api_'));
    expect(new Set(rows.filter((r) => r.svname.startsWith('env-')).map((r) => r.slim))).toEqual(new Set([1]));
    expect(rows.find((r) => r.pxname === 'data-api_public' && r.svname === 'BACKEND')?.qmax).toBeGreaterThan(
      0,
    );
  });

  it('retires environments idle past the idle time and keeps the minimum', async () => {
    const app = fleet.app('data-api');
    await until('two environments', () => app.environments().length === 2);
    const retired = () => fleet.metrics().retired.length;
    const before = retired();
    // A trickle of requests, one at a time, goes on: one environment serves it, the other has nothing.
    let stop = false;
    const trickle = load(fleet.urls.public as string, 1, () => stop);
    await until('an idle environment retired', () => app.environments().length === 1, 20_000).finally(() => {
      stop = true;
    });
    const { statuses } = await trickle;
    expect(new Set(statuses)).toEqual(new Set([401]));
    expect(retired()).toBe(before + 1);
    // Idle far past the idle time, the warm minimum stays.
    await sleep(3 * 1_500);
    expect(app.environments()).toHaveLength(1);
    expect(retired()).toBe(before + 1);
  });

  it('replaces a killed environment', async () => {
    const app = fleet.app('data-api');
    const victim = await app.kill();
    await until('a replacement', () => app.environments().some((e) => e.pid !== victim.pid));
    expect(fleet.metrics().died.map((d) => d.name)).toContain(victim.name);
    expect((await fetch(`${fleet.urls.public}/assets`)).status).toBe(401);
  });
});

describe('an environment killed under load', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await dataApiFleet({ min: 2, max: 2 });
    // A fixed size with no concurrency limit (the load test's scale-out mode): no 429 in the way.
    await fleet.app('data-api').scaleTo(2);
  });
  afterAll(() => fleet?.stop());

  it('costs no request: the first refused connection takes its slot out and the retry goes to a live one', async () => {
    const app = fleet.app('data-api');
    let stop = false;
    const traffic = load(fleet.urls.public as string, 6, () => stop);
    await sleep(500);
    // The first slot: the one `balance first` sends every request to.
    const victim = await app.kill(app.environments()[0]);
    await until('a replacement', () => app.environments().filter((e) => e.pid !== victim.pid).length === 2);
    await sleep(500);
    stop = true;
    const { statuses, bodies } = await traffic;
    expect(statuses.length).toBeGreaterThan(0);
    expect(bodies.filter((b) => (b as { status: number }).status !== 401)).toEqual([]);
  });
});

describe('beyond the concurrency limit', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await dataApiFleet({ min: 1, max: 1 });
  });
  afterAll(() => fleet?.stop());

  it('answers 429 in the error shape at once, and counts it', async () => {
    let stop = false;
    const traffic = load(fleet.urls.public as string, 4, () => stop);
    await until('a throttle', () => fleet.metrics().throttles['data-api'] > 0);
    stop = true;
    const { statuses, bodies } = await traffic;
    expect(new Set(statuses)).toEqual(new Set([401, 429]));
    const throttled = bodies.filter((b) => (b as { status: number }).status === 429);
    expect(throttled[0]).toEqual({
      status: 429,
      requestId: expect.any(String),
      body: {
        error: {
          code: 'TooManyRequests',
          message: expect.stringContaining('concurrency limit'),
          requestId: (throttled[0] as { requestId: string }).requestId,
        },
      },
    });
    // Every 429 a caller saw is counted (the count is read from HAProxy's counters).
    await until('the count', () => fleet.metrics().throttles['data-api'] === throttled.length, 5_000);
    // The limit held: one environment throughout.
    expect(fleet.app('data-api').environments()).toHaveLength(1);
    expect(fleet.metrics().coldStarts).toHaveLength(1);
  });
});

describe('a throttled Lambda Invoke', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet({
      // No request may wait: the first invocation runs, those beside it are throttled.
      apps: { 'upload-service': { min: 1, max: 1, queue: 0 } },
      env: { ...appEnv(), DATA_API_INTERNAL_URL: 'http://127.0.0.1:1' },
      listeners: ['lambda'],
    });
  });
  afterAll(() => fleet?.stop());

  it('reaches Step Functions as Lambda.TooManyRequestsException, which the pipeline retries', async () => {
    const invoker = new LambdaInvoker(fleet.urls.lambda, inject('cloud').region);
    const signal = AbortSignal.timeout(20_000);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, () =>
        invoker.invoke(
          { functionName: 'local-upload-service', payload: JSON.stringify({ Records: [] }) },
          signal,
        ),
      ),
    );
    invoker.destroy();
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [(o.reason as Error).name] : []));
    expect(refused.length).toBeGreaterThan(0);
    expect(new Set(refused)).toEqual(new Set(['Lambda.TooManyRequestsException']));
    expect(transientErrors).toContain('Lambda.TooManyRequestsException');
  });
});

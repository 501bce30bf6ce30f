import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport, describeMachine, writeReport } from '../src/report.ts';
import { runScenarios } from '../src/scenarios.ts';
import { publicDocuments, runSchemathesis } from '../src/schemathesis.ts';
import { everyApp, LoadStack } from '../src/stack.ts';
import { abortIncompleteUploads, checkInvariants, openStores, seedAssets } from '../src/stores.ts';

/**
 * The whole system on this machine, as `pnpm loadtest` runs it: every app's environments of
 * Lambda's fixed CPU, one request each, between a warm minimum of 2 and a concurrency limit of 12,
 * behind HAProxy, on a local cloud of its own. Idle environments retire after 3 s, so the short
 * ramp sees them leave. The per-user rate limit is raised through config (RATE_LIMIT_PER_MINUTE),
 * as a test stack's would be, so the load is not answered 429.
 */
let stack: LoadStack;
const logDir = mkdtempSync(join(tmpdir(), 'loadtest-'));
const policy = { min: 2, max: 12 };
const short = {
  connections: 16,
  durationSeconds: 6,
  scaleSeconds: 1,
  warmupSeconds: 0,
  scaleCounts: [],
  minimum: policy.min,
  limit: policy.max,
  rampStepSeconds: 6,
};

beforeAll(async () => {
  stack = await LoadStack.start({
    policies: everyApp(policy),
    logDir,
    idleMs: 3_000,
    appEnv: { RATE_LIMIT_PER_MINUTE: '100000000', LOG_LEVEL: 'warn' },
  });
});
afterAll(async () => {
  await stack?.stop();
});

describe('the short load test (mix with uploads, a ramp, one environment of each app SIGKILLed, Redis stopped and started)', () => {
  it('fails no request, answers no 5xx, and every invariant holds after every scenario', async () => {
    const scenarios = await runScenarios(stack, {
      ...short,
      scenarios: ['mix', 'ramp', 'kill', 'redis'],
      // Low, then more than the warm minimum can serve (every connection busy), then low again.
      ramp: [20, 2000, 20],
      // Edits weigh enough that even a slow phase (a busy CI machine) acknowledges some.
      mix: { get: 55, cold: 5, list: 15, patch: 25 },
      owners: 2,
      assetsPerOwner: 100,
      uploadConcurrency: 2,
    });
    expect(scenarios.map((s) => s.name)).toEqual(['mix', 'ramp', 'kill', 'redis']);
    for (const s of scenarios) {
      expect(s.load.totals.requests, s.name).toBeGreaterThan(20);
      expect(s.load.failures, s.name).toEqual([]);
      expect(s.load.totals.status5xx, s.name).toBe(0);
      expect(
        s.invariants.filter((i) => !i.ok),
        s.name,
      ).toEqual([]);
      expect(
        s.events.filter((e) => e.error),
        s.name,
      ).toEqual([]);
      // Below the concurrency limit: nothing throttled.
      expect(s.fleet?.throttles, s.name).toEqual({
        'data-api': 0,
        'upload-service': 0,
        'workflow-worker': 0,
      });
      if (s.name === 'ramp') continue; // reads only
      // Uploads went through the whole pipeline meanwhile, each checked to READY, and were counted.
      expect(s.load.uploads?.failures, s.name).toEqual([]);
      expect(s.load.uploads?.ready, s.name).toBeGreaterThan(0);
      expect(s.load.uploads?.ready, s.name).toBe(s.load.uploads?.acknowledged.length);
      // Some POSTs were sent twice (a second Object Created event each), and the invariants below
      // still found one asset and one execution per upload.
      expect(s.load.uploads?.resent, s.name).toBeGreaterThan(0);
      const uploadChecks = s.invariants.filter((i) =>
        /acknowledged upload|upload S3 acknowledged/.test(i.name),
      );
      expect(
        uploadChecks.map((i) => i.checked > 0),
        s.name,
      ).toEqual([true, true, true]);
    }
    const ramp = scenarios[1] as (typeof scenarios)[0];
    // The ramp: data-api environments rose above the warm minimum while every one was busy (each
    // new one a counted cold start), and fell back once the load did (idle ones retired).
    const running = ramp.timeline.map((x) => x.values['data-api environments'] ?? 0);
    const peak = Math.max(...running);
    expect(peak).toBeGreaterThan(policy.min);
    expect(running.at(-1)).toBeLessThan(peak);
    // Every environment the ramp added is a counted cold start. The mix phase before it may have
    // left environments running that are not yet retired: count from what ran at the ramp's start.
    expect(ramp.fleet?.coldStarts.filter((c) => c.app === 'data-api').length).toBeGreaterThanOrEqual(
      peak - (running[0] ?? policy.min),
    );
    expect(ramp.fleet?.retired.filter((r) => r.app === 'data-api').length).toBeGreaterThan(0);
    expect(ramp.load.steps?.map((x) => x.rate)).toEqual([20, 2000, 20]);
    const [mix, , kill, redis] = scenarios as [
      (typeof scenarios)[0],
      (typeof scenarios)[0],
      (typeof scenarios)[0],
      (typeof scenarios)[0],
    ];
    // Edits were acknowledged, and the invariant compared them with the table.
    expect(Object.keys(mix.load.acknowledged).length).toBeGreaterThan(0);
    expect(mix.invariants.find((i) => i.name.startsWith('acknowledged'))?.checked).toBeGreaterThan(0);
    // One environment of each app was really killed mid-load, and the scaler (nothing else starts
    // environments here) replaced it: each app is back at its warm minimum or above, after a cold start.
    expect(kill.events.map((e) => e.what)).toHaveLength(3);
    expect(Object.keys(kill.facts).filter((k) => k.startsWith('killed'))).toHaveLength(3);
    expect(kill.fleet?.died.map((d) => d.app).sort()).toEqual([
      'data-api',
      'upload-service',
      'workflow-worker',
    ]);
    for (const app of ['data-api', 'upload-service', 'workflow-worker']) {
      expect(Number(kill.facts[`${app} cold starts after the kill`]), app).toBeGreaterThan(0);
      expect(Number(kill.facts[`${app} environments after the kill`]), app).toBeGreaterThanOrEqual(
        policy.min,
      );
    }
    // The cache emptied with Redis and filled again once it was back.
    const { facts } = redis;
    expect(Number(facts['cached assets before the outage'])).toBeGreaterThan(0);
    expect(Number(facts['cached assets at the end'])).toBeGreaterThan(
      Number(facts['cached assets just after the restart']),
    );
    expect(redis.invariants.find((i) => i.name.startsWith('the cache'))?.checked).toBeGreaterThan(0);

    const report = buildReport('short load test', describeMachine(), { ...short }, scenarios, []);
    expect(report.passed).toBe(true);
    // The code it measured, as git names it (this test runs in a checkout).
    expect(report.commit).toMatch(/^[0-9a-f]{7,40}(-dirty)?$/);
    const files = writeReport(report, logDir, 'short');
    const html = readFileSync(files.html, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain(`code ${report.commit}`);
  }, 600_000); // five phases and their invariants, on a machine other work may share
});

describe('the Step Functions server restarted mid-run (the short version of that scenario)', () => {
  it('loses only the executions our in-memory stand-in held; uploads made while it was down end READY', async () => {
    const [restart] = await runScenarios(stack, {
      ...short,
      scenarios: ['stepfunctions'],
      // Few: the scenario's own uploads and status reads call the data API beside them.
      connections: 4,
      ramp: [],
      mix: { get: 70, cold: 5, list: 15, patch: 10 },
      owners: 1,
      assetsPerOwner: 50,
      uploadConcurrency: 1,
    });
    if (!restart) throw new Error('no stepfunctions scenario result');
    expect(restart.events.filter((e) => e.error)).toEqual([]);
    // The read and edit path does not depend on Step Functions: nothing failed meanwhile.
    expect(restart.load.failures).toEqual([]);
    const { facts } = restart;
    expect(Number(facts['executions running at the stop'])).toBeGreaterThan(0);
    // Their S3 events were reported failed by the upload function, redelivered by SQS, and run.
    expect(facts['uploads made while it was down']).toBe(3);
    expect(facts['of those, READY after the restart']).toBe(3);
    expect(restart.invariants.filter((i) => !i.ok)).toEqual([]);
  });
});

describe('Schemathesis against every public OpenAPI document, through the load balancer', () => {
  it('finds no failed check (all checks, fixed seed), and every invariant holds afterwards', async () => {
    const stores = openStores(stack.stores);
    try {
      const owner = 'fuzz-user';
      // Real assets of the fuzzing user, so the list gives its stateful phase ids to follow.
      await seedAssets(stores, [owner], 5, 'fuzz');
      const token = await stack.userToken(owner);
      expect(publicDocuments).toEqual(['/docs/assets/json', '/docs/uploads/json']);
      for (const document of publicDocuments) {
        const run = await runSchemathesis({ baseUrl: stack.urls.public, document, token, maxExamples: 15 });
        expect(run.exitCode, `${document}\n${run.output.slice(-6000)}`).toBe(0);
      }
      // The fuzzer starts multipart uploads it never completes; in AWS the bucket's lifecycle rule
      // aborts them. Everything else must hold as it is.
      await abortIncompleteUploads(stores);
      const invariants = await checkInvariants(stores, {});
      expect(invariants.filter((i) => !i.ok)).toEqual([]);
    } finally {
      stores.close();
    }
  });
});

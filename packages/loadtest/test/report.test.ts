import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { boundOf, ratiosPerDoubling, type ScalePoint, scaleNote } from '../src/bounds.ts';
import { notesOf, rampNote, rampOf, scaleOutOf } from '../src/figures.ts';
import { readOnlyMix } from '../src/mix.ts';
import { expectedEnd, helpText, parseOptions, spoken } from '../src/options.ts';
import { buildReport, headline, lineChart, perSecond, renderHtml } from '../src/report.ts';
import { plannedSeconds, rampSteps, type ScenarioResult } from '../src/scenarios.ts';

/**
 * The report is built from the measurements by pure functions: these tests feed them made-up
 * measurements and check what a reader sees (ticks, counts, headlines, the computed notes).
 */

const machine = {
  cpu: 'test CPU',
  cores: 2,
  memoryGiB: 8,
  kernel: 'test',
  node: 'v24',
  loadAverageAtStart: 0,
};

/** A phase of `seconds` whose roles used these cores all along (100 = one core per sample). */
function scenario(
  name: string,
  options: {
    seconds?: number;
    cores?: Record<string, number>;
    machineCores?: number;
    rps?: number;
    readyAt?: number[];
    mix?: ScenarioResult['config']['mix'];
    connections?: number;
    facts?: Record<string, number | string>;
    environments?: Record<string, { average: number; peak: number; cap: number | null }>;
    warmupSeconds?: number;
  } = {},
): ScenarioResult {
  const seconds = options.seconds ?? 10;
  const cores = options.cores ?? {};
  const t = Array.from({ length: seconds }, (_, i) => i + 1);
  const uploads =
    options.readyAt &&
    ({
      started: options.readyAt.length,
      acknowledged: options.readyAt.map((_, i) => `asset-${i}`),
      ready: options.readyAt.length,
      notReady: 0,
      gaveUp: 0,
      retries: 0,
      resent: 0,
      readyAt: options.readyAt,
      p50: 1,
      p95: 1,
      failures: [],
    } satisfies NonNullable<ScenarioResult['load']['uploads']>);
  const totals = {
    requests: (options.rps ?? 0) * seconds,
    failed: 0,
    status5xx: 0,
    errors: 0,
    timeouts: 0,
    rps: options.rps ?? 0,
    p50: 1,
    p95: 2,
    p99: 3,
  };
  return {
    name,
    description: name,
    config: {
      baseUrl: 'http://127.0.0.1:1',
      connections: options.connections ?? 8,
      durationSeconds: seconds,
      mix: options.mix ?? readOnlyMix,
      assets: 10,
      uploadConcurrency: uploads ? 2 : 0,
      ...(options.warmupSeconds ? { warmupSeconds: options.warmupSeconds } : {}),
    },
    load: {
      seconds: t.map((x) => ({
        t: x - 1,
        requests: options.rps ?? 0,
        failed: 0,
        status5xx: 0,
        errors: 0,
        p50: 1,
        p95: 2,
        p99: 3,
        byKind: {},
        cacheHits: 0,
        cacheMisses: 0,
        uploadsReady: 0,
      })),
      routes: [],
      acknowledged: {},
      lostAnswers: 0,
      failures: [],
      ...(uploads ? { uploads } : {}),
      totals,
      durationSeconds: seconds,
      measuredSeconds: seconds - (options.warmupSeconds ?? 0),
      startedAtMs: 1_000_000,
      generatorCpuSeconds: 1,
    },
    cpu: {
      startedAtMs: 1_000_000,
      t,
      series: Object.fromEntries(Object.entries(cores).map(([role, c]) => [role, t.map(() => c * 100)])),
      machine: t.map(() => (options.machineCores ?? Object.values(cores).reduce((a, b) => a + b, 0)) * 100),
      cpuSeconds: Object.fromEntries(Object.entries(cores).map(([role, c]) => [role, c * seconds])),
      machineCpuSeconds: (options.machineCores ?? 0) * seconds,
    },
    events: [],
    timeline: [],
    invariants: [],
    facts: options.facts ?? {},
    fleet: {
      environments: options.environments ?? {},
      coldStarts: [],
      retired: [],
      died: [],
      throttles: {},
    },
  };
}

describe('the scale-out charts', () => {
  it('tick the environment axis at the counts measured, integers only', () => {
    const svg = lineChart({
      title: 'scale',
      yLabel: 'req/s',
      xLabel: 'instances',
      xTicks: [1, 2, 4],
      series: [
        {
          name: 'req/s',
          points: [
            [1, 100],
            [2, 200],
            [4, 400],
          ],
        },
      ],
    });
    const ticks = [...svg.matchAll(/text-anchor="middle">([^<]+)</g)].map((m) => m[1]);
    expect(ticks.filter((t) => /^\d/.test(t as string))).toEqual(['1', '2', '4']);
    // Without explicit ticks (a time axis), round values; the scale-out charts had 0, 0.8, 1.6, …
    const time = lineChart({ title: 't', yLabel: 'y', series: [{ name: 's', points: [[41.7, 1]] }] });
    const timeTicks = [...time.matchAll(/text-anchor="middle">([^<]+)</g)].map((m) => m[1]);
    expect(timeTicks.filter((t) => /^\d/.test(t as string))).toEqual(['0', '10', '20', '30', '40']);
  });

  it('in the page: both curves ticked 1, 2, 4, 8', () => {
    const steps = [1, 2, 4, 8].flatMap((n) => [
      scenario(`scale-${n}`, { rps: 100 * n, facts: { 'data-api environments': n } }),
      scenario(`pipeline-${n}`, { readyAt: [1, 2], facts: { 'workflow-worker environments': n } }),
    ]);
    const html = renderHtml(buildReport('t', machine, {}, steps, []));
    const scale = html.slice(html.indexOf('Scale-out'), html.indexOf('</section>'));
    const ticks = [...scale.matchAll(/text-anchor="middle">([^<]+)</g)].map((m) => m[1]);
    expect(ticks.filter((t) => /^\d/.test(t as string))).toEqual(Array(4).fill(['1', '2', '4', '8']).flat());
  });
});

describe('uploads reaching READY', () => {
  it('are counted in the second they land, after the load stopped too', () => {
    // A 10 s phase: the third upload lands at 10.6 s, after the load stopped.
    const points = perSecond([0.5, 9.9, 10.6], 10);
    expect(points).toHaveLength(11);
    expect(points[0]).toEqual([1, 1]);
    expect(points[9]).toEqual([10, 1]);
    expect(points[10]).toEqual([11, 1]);
    expect(points.reduce((sum, [, n]) => sum + n, 0)).toBe(3);
  });

  it('chart the phase past its end, marked where the load stopped', () => {
    const html = renderHtml(
      buildReport(
        't',
        machine,
        {},
        [scenario('mix', { readyAt: [0.5, 10.6], mix: { get: 1, cold: 0, list: 0, patch: 1 } })],
        [],
      ),
    );
    expect(html).toContain('Uploads reaching READY, in the second each lands');
    expect(html).toContain('load stops');
  });
});

describe('a phase prints only what it does', () => {
  it('a read-only phase has no edit counters; one that edits has them', () => {
    expect(headline(scenario('scale-1'))).not.toContain('edits');
    expect(headline(scenario('mix', { mix: { get: 80, cold: 0, list: 10, patch: 10 } }))).toContain(
      'edits applied once whose answer was lost',
    );
  });

  it('a phase without requests (the pipeline) shows no request figures', () => {
    const h = headline(scenario('pipeline-1', { connections: 0, readyAt: [1] }));
    expect(h).not.toContain('req/s');
    expect(h).not.toContain('failed');
  });
});

describe('what bounds a phase, from the CPU measured', () => {
  const ceilings = { 'data-api': { cores: 0.4, what: '4 environments × 0.1 core' } };
  /** A 10 s phase on 2 cores: CPU seconds per role, and the whole machine's. */
  const bound = (cpuSeconds: Record<string, number>, machineCpuSeconds: number) =>
    boundOf({ seconds: 10, cpuSeconds, machineCpuSeconds, machineCores: 2, ceilings });

  it('the machine when its cores are all busy', () => {
    const found = bound({ 'data-api': 4, 'load generator': 6, HAProxy: 5 }, 19);
    expect(found.kind).toBe('machine');
    expect(found.text).toMatch(
      /^the machine: 1.9 of its 2 cores busy \(load generator 0.6, HAProxy 0.5, data-api 0.4\)/,
    );
  });

  it('a single-threaded process at its one core, or environments at their caps', () => {
    const moto = bound({ 'moto (S3, DynamoDB)': 9.5, 'data-api': 1 }, 12);
    expect(moto).toMatchObject({ kind: 'part', role: 'moto (S3, DynamoDB)', share: 0.95 });
    const caps = bound({ 'data-api': 3.9, 'load generator': 2 }, 7);
    expect(caps).toMatchObject({ kind: 'part', role: 'data-api', share: 0.98 });
    expect(caps.text).toContain('4 environments × 0.1 core');
  });

  it('nothing saturated: says so, naming the busiest part', () => {
    const found = bound({ Redis: 2, 'data-api': 1 }, 4);
    expect(found.kind).toBe('none');
    expect(found.text).toContain('busiest: data-api at 25 %');
  });
});

describe('the scale-out notes', () => {
  const point = (instances: number, rate: number, kind: 'part' | 'machine'): ScalePoint => ({
    instances,
    rate,
    bound: { kind, role: 'data-api', share: 1, text: kind === 'machine' ? 'THE MACHINE' : 'THE CAPS' },
    capsCores: instances * 0.1,
    othersCores: 1,
    machineCores: 2,
  });

  it('ratios per doubling, also across a step of two doublings', () => {
    expect(
      ratiosPerDoubling([
        { instances: 1, rate: 100 },
        { instances: 2, rate: 190 },
        { instances: 8, rate: 760 },
      ]),
    ).toEqual([
      { from: 1, to: 2, ratio: 1.9 },
      { from: 2, to: 8, ratio: 2 },
    ]);
  });

  it('name where the curve stops rising and what bounds it there', () => {
    const note = scaleNote(
      'Cached reads',
      'req/s',
      [point(1, 100, 'part'), point(2, 195, 'part'), point(4, 250, 'machine')],
      1.8,
    );
    expect(note).toContain(
      '100 → 195 → 250 req/s at 1 → 2 → 4 environments (×1.95, ×1.28 per doubling; target ×1.8)',
    );
    expect(note).toContain('From 2 to 4 environments it rises only ×1.28: at 4 it is bound by THE MACHINE');
    expect(note).toContain('THE MACHINE');
    expect(note).not.toContain('THE CAPS');
  });

  it('a curve that rises all along says so', () => {
    const note = scaleNote('Pipeline', 'executions/s', [point(1, 1, 'part'), point(2, 2, 'part')], 1.7);
    expect(note).toContain('rises at every step');
  });

  it('are in the report, computed from each phase', () => {
    /** A cached-read step at `n` environments of 0.1 core, each at its cap. */
    const step = (n: number, rps: number, generator: number, machineCores: number) =>
      scenario(`scale-${n}`, {
        rps,
        cores: { 'data-api': 0.1 * n, 'load generator': generator },
        machineCores,
        facts: { 'data-api environments': n },
        environments: { 'data-api': { average: n, peak: n, cap: 0.1 } },
      });
    const scenarios = [
      step(1, 200, 0.2, 0.4),
      step(2, 300, 1.7, 1.95),
      scenario('mix', { cores: { 'moto (S3, DynamoDB)': 0.9 }, machineCores: 1.1 }),
    ];
    const notes = buildReport('t', machine, {}, scenarios, []).notes;
    expect(notes[0]).toMatch(/^Cached reads: 200 → 300 req\/s at 1 → 2 environments \(×1.5 per doubling/);
    expect(notes[0]).toContain('the machine: 1.95 of its 2 cores busy');
    expect(notes).toContain(
      'mix: bound by moto (S3, DynamoDB): 0.9 cores of its one core (90 %); the machine 1.1 of 2 cores busy.',
    );
    // The scale-out's figures: rate per count and what the caps add up to.
    expect(scaleOutOf(scenarios, 2).reads.map((p) => [p.instances, p.rate, p.capsCores])).toEqual([
      [1, 200, 0.1],
      [2, 300, 0.2],
    ]);
    expect(notesOf([scenarios[2] as ScenarioResult], 2, 8)).toHaveLength(1);
  });
});

describe('the ramp', () => {
  it('steps follow the scale-out: the peak at 70 % of the most it measured, every step within the limit', () => {
    const steps = rampSteps({ ramp: [], rampStepSeconds: 10, limit: 8 }, [
      { instances: 1, rate: 200 },
      { instances: 8, rate: 1000 },
      { instances: 16, rate: 5000 }, // over the limit: not a capacity the ramp may use
    ]);
    expect(steps.map((s) => s.rate)).toEqual([70, 210, 420, 700, 420, 210, 70]);
    expect(rampSteps({ ramp: [5, 50], rampStepSeconds: 3, limit: 8 }, [])).toEqual([
      { seconds: 3, rate: 5 },
      { seconds: 3, rate: 50 },
    ]);
  });

  it('per step: environments, cold starts and p99, and whether p99 stayed under 100 ms below the limit', () => {
    const s = scenario('ramp', { seconds: 20 });
    s.load.steps = [
      { rate: 10, seconds: 10, requests: 100, rps: 10, failed: 0, p50: 1, p99: 20 },
      { rate: 500, seconds: 10, requests: 5000, rps: 490, failed: 0, p50: 2, p99: 140 },
    ];
    s.timeline = [0, 5, 10, 15].map((t, i) => ({
      t,
      values: { 'data-api environments': [1, 1, 3, 4][i] as number },
    }));
    (s.fleet as NonNullable<ScenarioResult['fleet']>).coldStarts = [
      { t: 11, app: 'data-api', ms: 900 },
      { t: 12, app: 'data-api', ms: 900 },
      { t: 13, app: 'data-api', ms: 900 },
    ];
    const steps = rampOf(s);
    expect(steps.map((x) => [x.offered, x.environments, x.coldStarts, x.p99])).toEqual([
      [10, 1, 0, 20],
      [500, 4, 3, 140],
    ]);
    expect(rampNote(steps, 8, 0)).toContain(
      '1 of 2 steps below the limit at 100 ms or more (offered 500 req/s)',
    );
    expect(rampNote(steps.slice(0, 1), 8, 0)).toContain('under 100 ms at every step below the limit');
  });
});

describe('how long a run takes', () => {
  it('--help says how long the default run takes', () => {
    const { options } = parseOptions([]);
    const minutes = spoken(plannedSeconds(options));
    expect(minutes).toMatch(/^\d+ min$/);
    expect(helpText()).toContain(
      `The default run (every scenario on a stack of its own) takes about ${minutes}`,
    );
    // And the CLI prints that help.
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, '../src/cli.ts'), '--help'],
      {
        encoding: 'utf8',
      },
    );
    expect(out).toContain(`takes about ${minutes}`);
  });

  it('more scenarios and longer phases take longer; a run prints its expected end', () => {
    const { options } = parseOptions([]);
    const { options: fewer } = parseOptions(['--scenarios', 'mix']);
    const { options: longer } = parseOptions(['--duration', '60']);
    expect(plannedSeconds(fewer)).toBeLessThan(plannedSeconds(options));
    expect(plannedSeconds(longer)).toBeGreaterThan(plannedSeconds(options));
    expect(expectedEnd(new Date('2026-12-08T01:55:00Z'), 600)).toBe(
      'expected to take about 10 min: done around 02:05:00 UTC',
    );
  });

  it('refuses options that cannot run', () => {
    expect(() => parseOptions(['--minimum', '9', '--limit', '8'])).toThrow(
      '--minimum must not be above --limit',
    );
    expect(() => parseOptions(['--scenarios', 'nope'])).toThrow('unknown "nope"');
  });
});

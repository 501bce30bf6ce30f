/**
 * The figures a report is built from, computed from the scenarios' measurements: the two
 * scale-out curves, the ramp's steps, and what bounds each phase (its notes). Pure functions.
 */
import { type Bound, boundOf, type Ceiling, type Consumption, type ScalePoint, scaleNote } from './bounds.ts';
import type { ScenarioResult } from './scenarios.ts';

/** Targets of issue 17, per doubling of environments. */
export const targets = { reads: 1.8, pipeline: 1.7, rampP99Ms: 100 };

export interface ScaleOutPoint extends ScalePoint {
  p99?: number;
  /** Average cores busy per role over the measured seconds. */
  cores: Record<string, number>;
}

export interface ScaleOut {
  /** Cached reads per second at each data-api environment count. */
  reads: ScaleOutPoint[];
  /** Executions reaching READY per second at each worker environment count. */
  pipeline: ScaleOutPoint[];
}

export interface RampStep {
  /** Seconds since the load started, at the step's start. */
  from: number;
  offered: number;
  answered: number;
  p50: number;
  p99: number;
  failed: number;
  /** data-api environments running at the step's end (what the scaler settled on for its load). */
  environments: number;
  coldStarts: number;
}

const two = (n: number) => Math.round(n * 100) / 100;

/** A phase's measured window, in seconds since its load started. */
export function measuredWindow(s: ScenarioResult) {
  const from = s.config.warmupSeconds ?? 0;
  return { from, to: from + s.load.measuredSeconds };
}

/**
 * Average cores per role, and the whole machine's, over a window of the phase (seconds since its
 * load started), from the CPU sampler's per-second series; the phase's totals when no sample falls
 * inside the window.
 */
export function windowCores(s: ScenarioResult, window = measuredWindow(s)) {
  const offset = (s.load.startedAtMs - s.cpu.startedAtMs) / 1000;
  const inside = s.cpu.t.flatMap((t, i) =>
    t > offset + window.from + 0.5 && t <= offset + window.to + 0.5 ? [i] : [],
  );
  const seconds = s.cpu.t.at(-1) ?? s.load.durationSeconds;
  if (inside.length === 0) {
    return {
      cores: Object.fromEntries(Object.entries(s.cpu.cpuSeconds).map(([r, cpu]) => [r, two(cpu / seconds)])),
      machine: two(s.cpu.machineCpuSeconds / seconds),
    };
  }
  const mean = (values: number[]) =>
    two(inside.reduce((sum, i) => sum + (values[i] ?? 0), 0) / inside.length / 100);
  return {
    cores: Object.fromEntries(Object.entries(s.cpu.series).map(([role, values]) => [role, mean(values)])),
    machine: mean(s.cpu.machine),
  };
}

/** The most each role can use in a phase: each app's environments × their cap; HAProxy all cores. */
export function ceilingsOf(s: ScenarioResult, machineCores: number): Record<string, Ceiling> {
  const ceilings: Record<string, Ceiling> = {
    HAProxy: { cores: machineCores, what: `the machine's ${machineCores} cores (a thread per core)` },
  };
  for (const [app, e] of Object.entries(s.fleet?.environments ?? {})) {
    const fixed = Number(s.facts[`${app} environments`]) || undefined;
    const count = fixed ?? e.average;
    ceilings[app] =
      e.cap === null
        ? { cores: count, what: `${two(count)} unconstrained environments (a core each)` }
        : {
            cores: count * e.cap,
            what: `${two(count)} environments × their cap of ${two(e.cap)} core`,
          };
  }
  return ceilings;
}

export function boundOfPhase(s: ScenarioResult, machineCores: number, window = measuredWindow(s)): Bound {
  const { cores, machine } = windowCores(s, window);
  const seconds = window.to - window.from;
  const consumption: Consumption = {
    seconds,
    cpuSeconds: Object.fromEntries(Object.entries(cores).map(([r, c]) => [r, c * seconds])),
    machineCpuSeconds: machine * seconds,
    machineCores,
    ceilings: ceilingsOf(s, machineCores),
  };
  return boundOf(consumption);
}

/** Executions that reached READY per second inside the measured window (the pipeline's rate). */
export function executionsPerSecond(s: ScenarioResult) {
  const { from, to } = measuredWindow(s);
  const landed = (s.load.uploads?.readyAt ?? []).filter((t) => t > from && t <= to).length;
  return two(landed / Math.max(0.001, to - from));
}

function scalePoint(s: ScenarioResult, app: string, rate: number, machineCores: number): ScaleOutPoint {
  const instances = Number(s.facts[`${app} environments`]);
  const { cores } = windowCores(s);
  const cap = s.fleet?.environments[app]?.cap;
  return {
    instances,
    rate,
    ...(app === 'data-api' ? { p99: s.load.totals.p99 } : {}),
    cores,
    bound: boundOfPhase(s, machineCores),
    ...(cap ? { capsCores: two(instances * cap) } : {}),
    othersCores: two(
      Object.entries(cores)
        .filter(([role]) => role !== app)
        .reduce((sum, [, c]) => sum + c, 0),
    ),
    machineCores,
  };
}

export function scaleOutOf(scenarios: ScenarioResult[], machineCores: number): ScaleOut {
  const steps = (prefix: string) => scenarios.filter((s) => s.name.startsWith(prefix));
  return {
    reads: steps('scale-').map((s) => scalePoint(s, 'data-api', s.load.totals.rps, machineCores)),
    pipeline: steps('pipeline-').map((s) =>
      scalePoint(s, 'workflow-worker', executionsPerSecond(s), machineCores),
    ),
  };
}

/** The ramp per step: offered and answered, p99, the data-api environments and cold starts meanwhile. */
export function rampOf(s: ScenarioResult | undefined): RampStep[] {
  if (!s?.load.steps) return [];
  let from = 0;
  return s.load.steps.map((step) => {
    const to = from + step.seconds;
    const running = s.timeline
      .filter((x) => x.t >= from && x.t < to)
      .map((x) => x.values['data-api environments'] ?? 0);
    const result: RampStep = {
      from,
      offered: step.rate,
      answered: step.rps,
      p50: step.p50,
      p99: step.p99,
      failed: step.failed,
      environments: running.at(-1) ?? 0,
      coldStarts: (s.fleet?.coldStarts ?? []).filter((c) => c.app === 'data-api' && c.t >= from && c.t < to)
        .length,
    };
    from = to;
    return result;
  });
}

export function rampNote(steps: RampStep[], limit: number, throttles: number) {
  if (steps.length === 0) return '';
  const below = steps.filter((s) => s.environments < limit);
  const over = below.filter((s) => s.p99 >= targets.rampP99Ms);
  const peak = Math.max(...steps.map((s) => s.environments));
  const coldStarts = steps.reduce((sum, s) => sum + s.coldStarts, 0);
  return `Ramp: offered ${steps.map((s) => s.offered).join(' → ')} req/s, answered ${steps
    .map((s) => s.answered)
    .join(
      ' → ',
    )}; data-api environments ${steps.map((s) => s.environments).join(' → ')} at the steps' ends (at most ${peak} of the limit ${limit}), ${coldStarts} cold starts, ${throttles} throttled; p99 ${steps
    .map((s) => s.p99)
    .join(' → ')} ms: ${
    over.length === 0
      ? `under ${targets.rampP99Ms} ms at every step below the limit`
      : `${over.length} of ${below.length} steps below the limit at ${targets.rampP99Ms} ms or more (offered ${over.map((s) => s.offered).join(', ')} req/s)`
  }.`;
}

/**
 * The report's notes, computed: each scale-out curve (ratios per doubling, where it stops rising
 * and what bounds it there), the ramp, and what bounds every other phase.
 */
export function notesOf(scenarios: ScenarioResult[], machineCores: number, limit: number) {
  const scale = scaleOutOf(scenarios, machineCores);
  const ramp = scenarios.find((s) => s.name === 'ramp');
  const notes = [
    scaleNote('Cached reads', 'req/s', scale.reads, targets.reads),
    scaleNote('Pipeline', 'executions/s', scale.pipeline, targets.pipeline),
    rampNote(rampOf(ramp), limit, ramp?.fleet?.throttles['data-api'] ?? 0),
  ];
  for (const s of scenarios) {
    if (/^(scale|pipeline)-/.test(s.name) || s.name === 'ramp') continue;
    notes.push(`${s.name}: bound by ${boundOfPhase(s, machineCores).text}.`);
  }
  return notes.filter(Boolean);
}

/**
 * What bounds a phase, from the CPU measured per process: the machine (its cores all busy), or one
 * part at its ceiling (a single-threaded process at its one core, a set of environments at their CPU
 * caps), or nothing saturated (the load offered, or requests waiting on something slow, bounds it).
 * Pure: the report's notes are computed from the figures with these, never written by hand.
 */

export interface Ceiling {
  /** The most the role can use, in cores. */
  cores: number;
  /** What that is, for the note: "its one core", "4 environments × 0.101 core". */
  what: string;
}

export interface Consumption {
  /** Length of the phase, in seconds. */
  seconds: number;
  /** CPU seconds per role (each role summed over its processes). */
  cpuSeconds: Record<string, number>;
  /** The whole machine's busy CPU seconds (every process, ours or not); 0 when unknown. */
  machineCpuSeconds: number;
  machineCores: number;
  /** Per role; a role not named is one process with one busy thread: one core. */
  ceilings: Record<string, Ceiling>;
}

export interface Bound {
  kind: 'machine' | 'part' | 'none';
  /** The part at its ceiling (kind 'part'), or the busiest one relative to its ceiling. */
  role: string;
  /** Busy share of the machine (kind 'machine') or of the role's ceiling. */
  share: number;
  text: string;
}

/** The machine counts as full from this share of its cores, a part from this share of its ceiling. */
export const machineFull = 0.9;
export const partFull = 0.8;

const two = (n: number) => Math.round(n * 100) / 100;
const percent = (n: number) => `${Math.round(n * 100)} %`;

const oneCore: Ceiling = { cores: 1, what: 'its one core' };

/** Average cores per role over the phase, busiest first. */
export function coresByRole(c: Pick<Consumption, 'seconds' | 'cpuSeconds'>) {
  return Object.entries(c.cpuSeconds)
    .map(([role, seconds]) => [role, c.seconds > 0 ? seconds / c.seconds : 0] as const)
    .sort((a, b) => b[1] - a[1]);
}

export function boundOf(c: Consumption): Bound {
  const cores = coresByRole(c);
  const top = cores
    .filter(([, n]) => n >= 0.02)
    .slice(0, 4)
    .map(([role, n]) => `${role} ${two(n)}`)
    .join(', ');
  const machine = c.machineCpuSeconds > 0 && c.seconds > 0 ? c.machineCpuSeconds / c.seconds : 0;
  const parts = cores
    .map(([role, n]) => {
      const ceiling = c.ceilings[role] ?? oneCore;
      return { role, n, ceiling, share: ceiling.cores > 0 ? n / ceiling.cores : 0 };
    })
    .sort((a, b) => b.share - a.share);
  if (machine / c.machineCores >= machineFull) {
    return {
      kind: 'machine',
      role: parts[0]?.role ?? 'machine',
      share: two(machine / c.machineCores),
      text: `the machine: ${two(machine)} of its ${c.machineCores} cores busy (${top})`,
    };
  }
  const busiest = parts[0];
  if (busiest && busiest.share >= partFull) {
    return {
      kind: 'part',
      role: busiest.role,
      share: two(busiest.share),
      text: `${busiest.role}: ${two(busiest.n)} cores of ${busiest.ceiling.what} (${percent(busiest.share)}); the machine ${two(machine)} of ${c.machineCores} cores busy`,
    };
  }
  return {
    kind: 'none',
    role: busiest?.role ?? 'none',
    share: two(busiest?.share ?? 0),
    text: `no part at its ceiling (busiest: ${busiest ? `${busiest.role} at ${percent(busiest.share)} of ${busiest.ceiling.what}` : 'none'}; the machine ${two(machine)} of ${c.machineCores} cores busy): the load offered or the time requests wait bounds it`,
  };
}

export interface ScalePoint {
  instances: number;
  /** Requests or executions per second. */
  rate: number;
  bound: Bound;
  /** Cores the measured environments' caps add up to (undefined: unconstrained). */
  capsCores?: number;
  /** Cores busy beside the measured app's environments (load generator, HAProxy, Redis, moto…). */
  othersCores: number;
  machineCores: number;
}

/** Throughput ratio of each step to the one before, per doubling of environments (log2 of the step). */
export function ratiosPerDoubling(points: Pick<ScalePoint, 'instances' | 'rate'>[]) {
  return points.slice(1).map((p, i) => {
    const before = points[i] as ScalePoint;
    const doublings = Math.log2(p.instances / before.instances);
    const ratio = before.rate > 0 && doublings > 0 ? (p.rate / before.rate) ** (1 / doublings) : 0;
    return { from: before.instances, to: p.instances, ratio: two(ratio) };
  });
}

/**
 * One sentence per scale-out curve: its figures, the ratio per doubling, where it stops rising
 * (the first step under `target` per doubling) and what bounds it there, from that step's CPU.
 */
export function scaleNote(label: string, unit: string, points: ScalePoint[], target: number) {
  if (points.length === 0) return '';
  const rates = points.map((p) => p.rate).join(' → ');
  const counts = points.map((p) => p.instances).join(' → ');
  const ratios = ratiosPerDoubling(points);
  const head = `${label}: ${rates} ${unit} at ${counts} environments${
    ratios.length ? ` (×${ratios.map((r) => r.ratio).join(', ×')} per doubling; target ×${target})` : ''
  }.`;
  const first = points[0] as ScalePoint;
  const stop = ratios.findIndex((r) => r.ratio < target);
  const capsAt = (p: ScalePoint) =>
    p.capsCores === undefined
      ? ''
      : ` Their caps add up to ${two(p.capsCores)} cores; beside them the rest used ${two(p.othersCores)}, leaving ${two(
          Math.max(0, p.machineCores - p.othersCores),
        )} of the machine's ${p.machineCores}.`;
  if (stop === -1) {
    const last = points.at(-1) as ScalePoint;
    return `${head} It rises at every step; at ${first.instances} it is bound by ${first.bound.text}, at ${last.instances} by ${last.bound.text}.${capsAt(last)}`;
  }
  const at = points[stop + 1] as ScalePoint;
  const before = points[stop] as ScalePoint;
  return `${head} From ${before.instances} to ${at.instances} environments it rises only ×${ratios[stop]?.ratio}: at ${at.instances} it is bound by ${at.bound.text}.${capsAt(at)}`;
}

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';

const ticksPerSecond = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime, in seconds. */
  cpu: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: fields start after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid, ppid: Number(fields[1]), cpu: (Number(fields[11]) + Number(fields[12])) / ticksPerSecond };
  } catch {
    return undefined; // it exited meanwhile
  }
}

/**
 * The whole machine's CPU time (every core, every process, ours or not) since boot, from
 * /proc/stat, in seconds: busy (user, nice, system, irq, softirq, steal) and idle (idle, iowait).
 */
export function machineCpu() {
  try {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
    return {
      busy: (user + nice + system + irq + softirq + steal) / ticksPerSecond,
      idle: (idle + iowait) / ticksPerSecond,
    };
  } catch {
    return { busy: 0, idle: 0 }; // not Linux: the machine's total is not known
  }
}

/** What a process is, from its command line and working folder; undefined: whatever its parent is. */
function roleOf(pid: number): string | undefined {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
    if (/\bhaproxy\b/.test(cmdline)) return 'HAProxy';
    if (/redis-server/.test(cmdline)) return 'Redis';
    if (/moto/.test(cmdline)) return 'moto (S3, DynamoDB)';
    if (/generator\.ts/.test(cmdline)) return 'load generator';
    // An app's environment runs its server from source or from local-cloud's bundle of it, in its folder.
    if (/src\/server\.ts|\/server-bundles\/\S+\/server\.mjs/.test(cmdline))
      return basename(readlinkSync(`/proc/${pid}/cwd`));
    return undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU per role (load generator, HAProxy, Redis, moto, each app summed over its
 * instances, and the roots themselves), from /proc/<pid>/stat of every
 * descendant of the given root processes, sampled once per interval.
 * 100 = one core busy for the whole interval.
 */
export class CpuSampler {
  private timer: NodeJS.Timeout | undefined;
  private last = new Map<number, number>();
  private lastAt = 0;
  readonly t: number[] = [];
  readonly series: Record<string, number[]> = {};
  readonly cpuSeconds: Record<string, number> = {};
  /** The whole machine's busy CPU seconds over the sampled time, whoever used them. */
  machineCpuSeconds = 0;
  /** The whole machine per sample (100 = one core), beside `series`. */
  readonly machine: number[] = [];
  private readonly startedAtMs = Date.now();
  private lastMachine = 0;
  private readonly started = performance.now();

  constructor(private readonly roots: Record<number, string>) {}

  private snapshot() {
    const stats: ProcStat[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = readStat(Number(entry));
      if (stat) stats.push(stat);
    }
    const parent = new Map(stats.map((s) => [s.pid, s.ppid]));
    const roles = new Map<number, string>();
    const resolve = (pid: number, depth = 0): string | undefined => {
      if (roles.has(pid)) return roles.get(pid);
      if (depth > 20 || pid <= 1) return undefined;
      const own = this.roots[pid] ?? roleOf(pid);
      const parentRole = parent.has(pid) ? resolve(parent.get(pid) as number, depth + 1) : undefined;
      // Only descendants of a root count; a known process under a root keeps its own name.
      const role = parentRole === undefined && !(pid in this.roots) ? undefined : (own ?? parentRole);
      if (role !== undefined) roles.set(pid, role);
      return role;
    };
    return stats.flatMap((s) => {
      const role = resolve(s.pid);
      return role ? [{ ...s, role }] : [];
    });
  }

  sample() {
    const now = performance.now();
    const machine = machineCpu().busy;
    const machineUsed = machine - this.lastMachine;
    if (this.lastAt !== 0) this.machineCpuSeconds += machineUsed;
    this.lastMachine = machine;
    const byRole: Record<string, number> = {};
    const seen = new Map<number, number>();
    for (const { pid, cpu, role } of this.snapshot()) {
      const before = this.last.get(pid);
      seen.set(pid, cpu);
      if (before === undefined && this.lastAt !== 0) continue; // new since the last sample: counted from the next one
      const used = cpu - (before ?? cpu);
      byRole[role] = (byRole[role] ?? 0) + used;
      this.cpuSeconds[role] = (this.cpuSeconds[role] ?? 0) + used;
    }
    if (this.lastAt !== 0) {
      const seconds = (now - this.lastAt) / 1000;
      this.t.push(Math.round((now - this.started) / 100) / 10);
      this.machine.push(Math.round((machineUsed / seconds) * 1000) / 10);
      for (const role of new Set([...Object.keys(this.series), ...Object.keys(byRole)])) {
        const series = this.series[role] ?? Array(this.t.length - 1).fill(0);
        this.series[role] = series;
        series.push(Math.round(((byRole[role] ?? 0) / seconds) * 1000) / 10);
      }
    }
    this.last = seen;
    this.lastAt = now;
  }

  start(intervalMs = 1000) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    return this;
  }

  private stopped = false;

  stop() {
    clearInterval(this.timer);
    if (!this.stopped) this.sample();
    this.stopped = true;
    return {
      /** When sampling started (Date.now()): `t` counts from here. */
      startedAtMs: this.startedAtMs,
      t: this.t,
      series: this.series,
      machine: this.machine,
      cpuSeconds: this.cpuSeconds,
      machineCpuSeconds: Math.round(this.machineCpuSeconds * 100) / 100,
    };
  }
}
export type CpuProfile = ReturnType<CpuSampler['stop']>;

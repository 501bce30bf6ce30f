import { existsSync, mkdirSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The kernel's CPU controller (cgroup v1), where Debian mounts it. */
export const cpuControllerRoot = '/sys/fs/cgroup/cpu';

/**
 * The CFS period: short, so a throttled environment waits at most this long for its next share
 * (a long period stretches p99 by whole periods). The kernel's minimum quota is 1 ms, so a cap
 * below 0.1 core gets a longer period instead.
 */
const periodUs = 10_000;
const minQuotaUs = 1_000;

/** One environment's CPU allowance: a group of its own in the controller. */
export interface CpuUnit {
  /** Cores this unit may use (0.1 = 10 ms per 100 ms); `null` lifts the cap. */
  set(cores: number | null): void;
  /** Moves a process (and its future children) into the unit. */
  add(pid: number): void;
  /** Deletes the group (its processes must have exited). */
  remove(): void;
  /** The group's directory (`cpu.stat` there counts the periods it was throttled in). */
  dir: string;
}

export interface CpuController {
  /** Why environments run unconstrained here, or undefined when they are capped. */
  unavailable?: string;
  unit(name: string): CpuUnit | undefined;
}

let units = 0;

/** Groups of this process are named `<prefix><our pid>-…`, so a crashed run's leftovers can be told apart. */
const prefix = 'stateless-';

/** The controller under `root`, or why it cannot be used (not root, cgroup v2 only, not Linux). */
export function cpuController(root = cpuControllerRoot): CpuController {
  const unavailable = probe(root);
  if (unavailable) return { unavailable, unit: () => undefined };
  removeOrphans(root);
  return {
    unit(name) {
      // Numbered: two fleets of one process (tests) may each have a `data-api-1`.
      const dir = join(root, `${prefix}${process.pid}-${++units}-${name}`);
      mkdirSync(dir, { recursive: true });
      const write = (file: string, value: number | string) => writeFileSync(join(dir, file), String(value));
      return {
        dir,
        set(cores) {
          if (cores === null) return write('cpu.cfs_quota_us', -1);
          const quota = Math.round(cores * periodUs);
          const scale = quota < minQuotaUs ? minQuotaUs / quota : 1;
          write('cpu.cfs_period_us', Math.round(periodUs * scale));
          write('cpu.cfs_quota_us', Math.round(quota * scale));
        },
        add: (pid) => write('cgroup.procs', pid),
        remove() {
          try {
            rmdirSync(dir);
          } catch {}
        },
      };
    },
  };
}

function probe(root: string): string | undefined {
  if (process.platform !== 'linux') return `${process.platform} has no cgroup CPU controller`;
  if (!existsSync(join(root, 'cpu.cfs_quota_us'))) return `no cgroup v1 CPU controller at ${root}`;
  const test = join(root, `${prefix}${process.pid}-probe`);
  try {
    mkdirSync(test);
    rmdirSync(test);
    return undefined;
  } catch (error) {
    return `${root} is not writable (${(error as NodeJS.ErrnoException).code}; run as root to cap environments)`;
  }
}

/** Groups left by a run that died before removing them (their processes are gone, so rmdir succeeds). */
function removeOrphans(root: string) {
  for (const name of readdirSync(root)) {
    const owner = Number(name.slice(prefix.length).split('-')[0]);
    if (!name.startsWith(prefix) || !owner || isAlive(owner)) continue;
    try {
      rmdirSync(join(root, name));
    } catch {}
  }
}

function isAlive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

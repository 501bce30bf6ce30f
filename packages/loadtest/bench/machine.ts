import { readdirSync, readFileSync, statfsSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { CpuSampler, machineCpu } from '../src/cpu.ts';

const gib = 1024 ** 3;
export const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
export const gibText = (bytes: number) => (bytes / gib).toFixed(1);

/** The kernel's estimate of memory that can be used without swapping, in bytes. */
export function availableMemory() {
  const line = readFileSync('/proc/meminfo', 'utf8').match(/^MemAvailable:\s+(\d+) kB$/m);
  return Number(line?.[1] ?? 0) * 1024;
}

/** Free bytes where moto's spooled files go (Python's tempfile: $TMPDIR, else /tmp). */
export const freeDisk = (dir = tmpdir()) => {
  const stats = statfsSync(dir);
  return stats.bavail * stats.bsize;
};

export function machine() {
  const total =
    Number(readFileSync('/proc/meminfo', 'utf8').match(/^MemTotal:\s+(\d+) kB$/m)?.[1] ?? 0) * 1024;
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
    memory: total,
    node: process.version,
  };
}

/**
 * Where the CPU went during one phase: the whole machine (which other work shares) and each
 * of our processes by role (this driver with the in-process Step Functions server and SQS
 * poller, moto, Redis, HAProxy, each app over its instances). Load average at the end.
 */
export async function profiled<T>(work: () => Promise<T>) {
  const sampler = new CpuSampler({
    [process.pid]: 'bench driver (+ Step Functions server, SQS poller)',
  }).start(1000);
  const before = machineCpu();
  const started = performance.now();
  const result = await work();
  const seconds = (performance.now() - started) / 1000;
  const after = machineCpu();
  const { cpuSeconds } = sampler.stop();
  const ours = Object.values(cpuSeconds).reduce((sum, s) => sum + s, 0);
  return {
    result,
    cpu: {
      seconds,
      machineBusy: (after.busy - before.busy) / seconds,
      ours: ours / seconds,
      byRole: Object.entries(cpuSeconds)
        .map(([role, s]) => ({ role, cores: s / seconds }))
        .sort((a, b) => b.cores - a.cores),
      loadAverage: loadavg()[0] ?? 0,
    },
  };
}
export type CpuUse = Awaited<ReturnType<typeof profiled>>['cpu'];

/** One line for a phase: machine busy, ours, the top roles. */
export const cpuLine = (cpu: CpuUse) =>
  `${cpu.seconds.toFixed(0)} s; the machine's ${availableParallelism()} cores ${(cpu.machineBusy * 100).toFixed(0)}% busy ` +
  `(${(cpu.ours * 100).toFixed(0)}% of one core ours: ${cpu.byRole
    .filter((r) => r.cores >= 0.02)
    .map((r) => `${r.role} ${(r.cores * 100).toFixed(0)}%`)
    .join(', ')}); load average ${cpu.loadAverage.toFixed(1)} at the end`;

/** moto's server process, found by the port it listens on. */
export function motoProcess(port: number) {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const p = args.indexOf('-p');
      if (args.some((a) => /moto/.test(a)) && args[p + 1] === String(port)) return Number(entry);
    } catch {
      // exited meanwhile
    }
  }
  throw new Error(`no moto process on port ${port}`);
}

/** Starts a process's peak resident memory (VmHWM) again from its current size (Linux clear_refs). */
export const resetPeakMemory = (pid: number) => writeFileSync(`/proc/${pid}/clear_refs`, '5');

/** Resident memory now and at its peak (VmRSS, VmHWM), in bytes. */
export function memoryOf(pid: number) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) =>
    Number(status.match(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm'))?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

export const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

/** Runs `work` for indexes 0..count-1, at most `concurrency` at once, results in index order. */
export async function inPool<T>(count: number, concurrency: number, work: (index: number) => Promise<T>) {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const index = next++;
        results[index] = await work(index);
      }
    }),
  );
  return results;
}

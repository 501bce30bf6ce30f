import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, createWriteStream, mkdirSync, openSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProcessError } from './errors.ts';

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  /** Ends the process (SIGTERM, then SIGKILL after `graceMs`); resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
  /** The last lines it printed, for error messages. */
  recentOutput(): string;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
}

const running = new Set<ManagedProcess>();

// If the parent dies abruptly, take every child with it: nothing is left running.
process.once('exit', () => {
  for (const p of running) p.child.kill('SIGKILL');
});

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Folder for `<name>.log`; without one, output is discarded unless the process fails to start. */
  logDir?: string;
  /** A file in `logDir` the child writes its standard output to itself (e.g. an access log). */
  stdoutLog?: string;
  /**
   * The child writes both streams straight to `<logDir>/<name>.log` (a busy app's output then costs
   * this process nothing); `recentOutput` is empty.
   */
  direct?: boolean;
  /** Start from `env` alone (plus PATH), not this process's environment. */
  inheritEnv?: boolean;
}

export function startProcess(options: StartOptions): ManagedProcess {
  if (options.logDir) mkdirSync(options.logDir, { recursive: true });
  // A busy stdout (an access log) goes straight to its file, not through this process.
  const direct = options.logDir && options.direct ? join(options.logDir, `${options.name}.log`) : undefined;
  const stdoutFile = direct
    ? openSync(direct, 'a')
    : options.logDir && options.stdoutLog
      ? openSync(join(options.logDir, options.stdoutLog), 'a')
      : undefined;
  const base = options.inheritEnv === false ? { PATH: process.env.PATH } : process.env;
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: { ...base, ...options.env },
    stdio: ['ignore', stdoutFile ?? 'pipe', direct ? (stdoutFile ?? 'pipe') : 'pipe'],
    // Own process group: Ctrl-C in a terminal reaches only us, and we stop children in order.
    detached: true,
  });
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    tail.push(chunk.toString());
    if (tail.length > 50) tail.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  if (stdoutFile !== undefined) closeSync(stdoutFile); // the child holds its own copy
  if (options.logDir && !direct) {
    const log = createWriteStream(join(options.logDir, `${options.name}.log`), { flags: 'a' });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', () => {}); // reported through `exited` and the readiness wait
  const managed: ManagedProcess = {
    name: options.name,
    child,
    async stop(graceMs = 5_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      running.delete(managed);
    },
    recentOutput: () => tail.join('').slice(-2_000),
    exited,
  };
  running.add(managed);
  exited.then(() => running.delete(managed));
  return managed;
}

/** Waits until `probe` succeeds, failing early if the process exits. */
export async function waitUntilReady(p: ManagedProcess, probe: () => Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (p.child.exitCode !== null || p.child.signalCode !== null) {
      throw new ProcessError(
        `${p.name} exited (${p.child.exitCode ?? p.child.signalCode}):\n${p.recentOutput()}`,
      );
    }
    if (await probe().catch(() => false)) return;
    await sleep(50);
  }
  await p.stop(500);
  throw new ProcessError(`${p.name} was not ready after ${timeoutMs} ms:\n${p.recentOutput()}`);
}

export const tcpOpen = (port: number, host = '127.0.0.1') =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

export const httpOk = async (url: string) => {
  const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
  await res.body?.cancel();
  return res.ok;
};

/** Stops every process this module started (used by the dev stack and test teardown). */
export const stopAll = () => Promise.all([...running].map((p) => p.stop()));
export const runningProcesses = () => [...running];

import { fork } from 'node:child_process';
import { join } from 'node:path';
import { type CpuProfile, CpuSampler } from './cpu.ts';
import type { GeneratorConfig, GeneratorMessage, GeneratorResult, SecondSample } from './generator.ts';

export interface TimedAction {
  /** Seconds after the load starts. */
  at: number;
  what: string;
  run(): Promise<unknown>;
}

export interface PhaseEvent {
  t: number;
  what: string;
  /** How long the action took, or why it failed. */
  tookMs?: number;
  error?: string;
}

export interface PhaseResult {
  name: string;
  description: string;
  config: Omit<GeneratorConfig, 'hot' | 'cold' | 'edit' | 'tokens' | 'uploads'> & {
    assets: number;
    uploadConcurrency: number;
  };
  load: GeneratorResult;
  cpu: CpuProfile;
  events: PhaseEvent[];
  /** What `sample` gave once a second while the load ran (e.g. environments running per app). */
  timeline: TimelineSample[];
}

export interface TimelineSample {
  /** Seconds since the load started (the generator's clock). */
  t: number;
  values: Record<string, number>;
}

const progress = (name: string, s: SecondSample, uploadsReady: number, requests: boolean) => {
  const uploads = uploadsReady > 0 || !requests ? `  uploads READY ${uploadsReady}` : '';
  const offered = s.offered ? ` (offered ${s.offered})` : '';
  // Only what the phase does: a pipeline step sends no requests of its own.
  const answered = requests
    ? `  ${String(s.requests).padStart(6)} req/s${offered}  p50 ${s.p50} ms  p99 ${s.p99} ms  failed ${s.failed}  5xx ${s.status5xx}`
    : '';
  const line = `[${name}] ${String(s.t).padStart(3)} s${answered}${uploads}`;
  if (process.stderr.isTTY) process.stderr.write(`\r\u001b[2K${line}`);
  else if (s.t % 5 === 0) process.stderr.write(`${line}\n`);
};

/**
 * One load phase: the generator in its own process, CPU sampled for every
 * process of the stack, and the given actions (kills, outages) at their times.
 * Bounded: the generator stops after `durationSeconds`, the actions are awaited.
 */
export async function runPhase(options: {
  name: string;
  description: string;
  generator: GeneratorConfig;
  /** Root processes whose descendants are measured, with a name for each root. */
  cpuRoots: Record<number, string>;
  actions?: TimedAction[];
  /** Read once a second while the load runs, into the phase's timeline. */
  sample?: () => Record<string, number>;
  /**
   * After the load, the timeline goes on until this holds (at most `settleSeconds`, default 60):
   * a ramp's last environments retire after the load that needed them.
   */
  settled?: () => boolean;
  settleSeconds?: number;
}): Promise<PhaseResult> {
  const child = fork(join(import.meta.dirname, 'generator.ts'), ['--child'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const sampler = new CpuSampler({ ...options.cpuRoots, [process.pid]: 'load test driver' }).start();
  const events: PhaseEvent[] = [];
  const timers: NodeJS.Timeout[] = [];
  const sampled: { at: number; values: Record<string, number> }[] = [];
  const sample = () => options.sample && sampled.push({ at: Date.now(), values: options.sample() });
  sample();
  const sampling = setInterval(sample, 1000);
  timers.push(sampling);
  // Actions are timed from the moment the load starts (the generator's own start-up takes a
  // while on a busy machine): a kill at a third of the phase lands a third into the load.
  let actionsDone: Promise<void>[] = [];
  const startActions = () => {
    const started = performance.now();
    actionsDone = (options.actions ?? []).map(
      (action) =>
        new Promise<void>((resolve) => {
          timers.push(
            setTimeout(async () => {
              const t = Math.round((performance.now() - started) / 100) / 10;
              const event: PhaseEvent = { t, what: action.what };
              events.push(event);
              try {
                await action.run();
                event.tookMs = Math.round(performance.now() - started - t * 1000);
              } catch (error) {
                event.error = (error as Error).message;
              }
              resolve();
            }, action.at * 1000),
          );
        }),
    );
  };
  try {
    let uploadsReady = 0;
    const load = await new Promise<GeneratorResult>((resolve, reject) => {
      child.on('message', (message: GeneratorMessage) => {
        if (message.type === 'started') startActions();
        else if (message.type === 'second') {
          uploadsReady += message.sample.uploadsReady;
          progress(options.name, message.sample, uploadsReady, options.generator.connections > 0);
        } else resolve(message.result);
      });
      child.once('exit', (code) =>
        reject(new Error(`the load generator exited with ${code} before its result`)),
      );
      child.send(options.generator);
    });
    await Promise.all(actionsDone);
    const settleUntil = Date.now() + (options.settleSeconds ?? 60) * 1000;
    while (options.settled && !options.settled() && Date.now() < settleUntil)
      await new Promise((resolve) => setTimeout(resolve, 250));
    clearInterval(sampling);
    sample();
    if (process.stderr.isTTY) process.stderr.write('\n');
    // No tokens in the report.
    const { hot, cold, edit, tokens, uploads, ...config } = options.generator;
    return {
      name: options.name,
      description: options.description,
      config: {
        ...config,
        assets: hot.length + cold.length + edit.length,
        uploadConcurrency: uploads?.concurrency ?? 0,
      },
      load,
      cpu: sampler.stop(),
      events,
      timeline: sampled.map(({ at, values }) => ({
        t: Math.round((at - load.startedAtMs) / 100) / 10,
        values,
      })),
    };
  } finally {
    for (const timer of timers) clearTimeout(timer);
    clearInterval(sampling);
    sampler.stop();
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

import { join } from 'node:path';
import { type AppName, functionMemoryMb, health } from '@stateless/topology';
import { type CpuController, type CpuUnit, cpuController } from './cpu-units.ts';
import { ProcessError } from './errors.ts';
import { freePort } from './ports.ts';
import { httpOk, type ManagedProcess, startProcess, waitUntilReady } from './processes.ts';
import { serverBundle } from './server-bundles.ts';
import { repoRoot } from './tools.ts';

/** Lambda gives CPU in proportion to memory: 1,769 MB buys one vCPU. */
export const mbPerVcpu = 1769;

/**
 * The one scale factor between Lambda's CPU and an environment's here. At 1:1 a 512 MB function
 * gets 0.29 core and eight of them want 2.3 cores, more than this machine's two; at 0.35 a data-api
 * environment gets 0.1 core (the size issue 17 measured scaling at: 209 → 489 → 893 → 1,276 req/s
 * at 1 → 2 → 4 → 8) and eight of them 0.8 core, leaving the rest to the load generator, HAProxy,
 * Redis and moto, so the fleet's own ceiling shows before the machine's. The worker (1,024 MB)
 * gets twice a data-api environment's share, as in Lambda.
 */
export const cpuScale = 0.35;

/** The CPU (cores) of one environment of `app`: its function's memory, as Lambda sizes it, scaled. */
export const environmentCpu = (app: AppName) => (functionMemoryMb[app] / mbPerVcpu) * cpuScale;

/**
 * A cold start (spawn until healthy) runs at one full core: it measures the app's start-up (the
 * bundle's import, clients), not how long that takes through a 0.1-core straw; the cap applies
 * from the first request on.
 */
const coldStartCpu = 1;

export interface EnvironmentSpec {
  app: AppName;
  /** Names its log file (`<logDir>/<name>.log`) and its CPU unit. */
  name: string;
  /** The app's variables; PORT, INTERNAL_PORT and HOST are set here. */
  env: Record<string, string>;
  logDir?: string;
  /** Cores; default `environmentCpu(app)`; `null` runs it unconstrained. */
  cpu?: number | null;
  /** Start from `env` (and PATH) alone instead of this process's environment. Default true. */
  inheritEnv?: boolean;
  /** Keep everything it prints in `output` (a test reading its logs) instead of only a log file. */
  captureOutput?: boolean;
}

/** One execution environment: an app's server process of fixed CPU, listening on its own ports. */
export interface Environment {
  app: AppName;
  name: string;
  pid: number;
  /** `internal`: the data API's second listener. */
  urls: { public: string; internal?: string };
  /** The cap it runs under (cores), or `null` when unconstrained. */
  cpu: number | null;
  /** Its cgroup's directory, when capped. */
  cgroup?: string;
  /** Spawn until every listener answered its health check. */
  coldStartMs: number;
  /** What it printed, with `captureOutput`. */
  output: string[];
  /** Its exit code, `null` when a signal ended it. */
  exited: Promise<number | null>;
  alive(): boolean;
  /** SIGKILL: no drain, no goodbye. */
  kill(): Promise<void>;
  /** SIGTERM (it drains in-flight requests), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

let controller: CpuController | undefined;

/** The CPU controller, probed once; where it cannot be used, says so once and caps nothing. */
export function cpuUnits(): CpuController {
  if (!controller) {
    controller = cpuController();
    if (controller.unavailable) {
      console.error(`[local-cloud] environments run without CPU caps: ${controller.unavailable}`);
    }
  }
  return controller;
}

const bundles = new Map<AppName, Promise<string>>();

/**
 * The bundle every environment of `app` runs (server-bundles.ts), built or found once per process
 * (a stack start), as a deploy publishes one version: environments started later run the same
 * code, and an edit shows after a restart. A build error rejects every start of that app.
 */
export function appBundle(app: AppName): Promise<string> {
  let bundle = bundles.get(app);
  if (!bundle) {
    bundle = serverBundle({ appDir: join(repoRoot, 'apps', app) }).then(({ path }) => path);
    bundles.set(app, bundle);
  }
  return bundle;
}

const urlOf = (port: number) => `http://127.0.0.1:${port}`;

/** Starts one environment of `spec.app` and resolves once it is healthy on every listener. */
export async function startEnvironment(spec: EnvironmentSpec): Promise<Environment> {
  const bundle = await appBundle(spec.app);
  const ports = {
    public: await freePort(),
    internal: spec.app === 'data-api' ? await freePort() : undefined,
  };
  const urls = {
    public: urlOf(ports.public),
    ...(ports.internal ? { internal: urlOf(ports.internal) } : {}),
  };
  const wanted = spec.cpu === undefined ? environmentCpu(spec.app) : spec.cpu;
  const unit: CpuUnit | undefined = wanted === null ? undefined : cpuUnits().unit(spec.name);
  const started = performance.now();
  let server: ManagedProcess | undefined;
  try {
    server = startProcess({
      name: spec.name,
      command: process.execPath,
      args: [bundle],
      cwd: join(repoRoot, 'apps', spec.app),
      env: {
        ...spec.env,
        HOST: '127.0.0.1',
        PORT: String(ports.public),
        INTERNAL_PORT: String(ports.internal ?? 0),
      },
      ...(spec.logDir ? { logDir: spec.logDir, direct: !spec.captureOutput } : {}),
      ...(spec.inheritEnv === false ? { inheritEnv: false } : {}),
    });
    const pid = server.child.pid;
    if (unit && pid) {
      unit.set(coldStartCpu);
      unit.add(pid);
    }
  } catch (error) {
    // Not in its unit (it exited at once, or the controller refused): not started at all.
    await server?.stop(0);
    unit?.remove();
    throw error;
  }
  server.exited.then(() => unit?.remove());
  const output: string[] = [];
  if (spec.captureOutput) {
    const keep = (chunk: Buffer) => output.push(chunk.toString());
    server.child.stdout?.on('data', keep);
    server.child.stderr?.on('data', keep);
  }
  const healthy = async () =>
    (await Promise.all(Object.values(urls).map((u) => httpOk(`${u}${health.live}`)))).every(Boolean);
  try {
    await waitUntilReady(server, healthy, 60_000);
  } catch (error) {
    await server.stop(500);
    const log =
      spec.logDir && !spec.captureOutput ? ` (its log: ${join(spec.logDir, `${spec.name}.log`)})` : '';
    throw new ProcessError(`${(error as Error).message}${log}`, { cause: error });
  }
  const coldStartMs = Math.round(performance.now() - started);
  unit?.set(wanted);
  const { child } = server;
  return {
    app: spec.app,
    name: spec.name,
    pid: child.pid ?? -1,
    urls,
    cpu: unit ? wanted : null,
    ...(unit ? { cgroup: unit.dir } : {}),
    coldStartMs,
    output,
    exited: server.exited.then(() => child.exitCode),
    alive: () => child.exitCode === null && child.signalCode === null,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await server.exited;
    },
    stop: (graceMs = 10_000) => server.stop(graceMs),
  };
}

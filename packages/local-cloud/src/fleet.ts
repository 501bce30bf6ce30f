import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AppName, type Listener, routes } from '@stateless/topology';
import { type Environment, startEnvironment } from './environments.ts';
import { type LoadBalancer, limitVariable, slotName, startHaproxy, throttleBackend } from './haproxy.ts';
import { HaproxyRuntime, type StatRow } from './haproxy-runtime.ts';

/** How many environments an app keeps warm (provisioned concurrency) and may reach (its concurrency limit). */
export interface FleetPolicy {
  min: number;
  max: number;
  /**
   * Requests that may wait for an environment beyond `max` in flight before the load balancer
   * throttles (Lambda: none; default 1, the grace HAProxy needs: it frees an environment's slot a
   * moment after the answer has left, so a caller's next request can find its last one still counted).
   */
  queue?: number;
}

/** Requests allowed to wait beyond the limit when a policy does not say. */
const defaultQueue = 1;

export interface FleetOptions {
  apps: Partial<Record<AppName, FleetPolicy>>;
  /** Every environment's variables (the cloud's, the secrets, …). */
  env: Record<string, string>;
  /** An environment that served nothing this long is retired (above the minimum). Default 30 s. */
  idleMs?: number;
  /** `lambda`: each environment capped at `environmentCpu(app)`; `off`: unconstrained. */
  cpu?: 'lambda' | 'off';
  listeners?: Listener[];
  ports?: Partial<Record<Listener, number>>;
  /** The web console's servers, behind the public listener's default backend. */
  consoleServers?: readonly string[];
  logDir?: string;
  configDir?: string;
  /** How often the scaler reads HAProxy's counters. Default 100 ms. */
  pollMs?: number;
  /** Slots per app in HAProxy's config: the most environments an app can ever have. Default 16. */
  slots?: number;
  /** Keep the latest this many samples (up to twice as many), for a long-running `pnpm dev`. Default: all. */
  keepSamples?: number;
}

export interface FleetSample {
  /** Epoch milliseconds. */
  at: number;
  app: AppName;
  /** Environments in the load balancer. */
  running: number;
  /** Environments in their cold start. */
  starting: number;
  inFlight: number;
  queued: number;
  /** Requests throttled so far (cumulative). */
  throttled: number;
}

export interface FleetEvent {
  at: number;
  app: AppName;
  name: string;
}

export interface FleetMetrics {
  samples: FleetSample[];
  coldStarts: (FleetEvent & { ms: number })[];
  /** Requests the load balancer refused with 429 at the concurrency limit, per app. */
  throttles: Record<AppName, number>;
  retired: FleetEvent[];
  /** Environments that exited without being asked to (killed, crashed). */
  died: FleetEvent[];
  /** Environments that failed to start (the scaler tries again). */
  failedStarts: (FleetEvent & { error: string })[];
}

export interface AppFleet {
  /** The environments in the load balancer (their pids are what to measure CPU of). */
  environments(): Environment[];
  policy(): FleetPolicy;
  /** Scales between `min` and `max` with the throttle at `max`. */
  setPolicy(policy: Partial<FleetPolicy>): Promise<void>;
  /** A fixed size: `n` environments, no throttle (requests beyond `n` in flight queue); resolves once `n` serve. */
  scaleTo(n: number): Promise<void>;
  /** SIGKILLs one environment (default: the newest); the scaler replaces it when it is needed. */
  kill(environment?: Environment): Promise<Environment>;
}

export interface Fleet {
  urls: Partial<Record<Listener, string>>;
  /** HAProxy's runtime API (`show stat` for its own counters). */
  runtime: HaproxyRuntime;
  app(name: AppName): AppFleet;
  metrics(): FleetMetrics;
  stop(): Promise<void>;
}

interface Slot {
  index: number;
  state: 'free' | 'starting' | 'serving' | 'retiring';
  environment?: Environment;
  lastActive: number;
  lastTotal: number;
}

/** A value far above any concurrency: the throttle is off. */
const unlimited = 1_000_000;

/**
 * Lambda's scaling model on this machine: each app's execution environments (fixed CPU, one
 * request each) behind HAProxy's slots, switched through its runtime API; a scaler that adds an
 * environment when every running one is busy, retires idle ones above the warm minimum, and lets
 * HAProxy throttle beyond the concurrency limit.
 */
export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const slots = options.slots ?? 16;
  const listeners = options.listeners ?? ['public', 'internal', 'lambda'];
  const socket = join(tmpdir(), `haproxy-${process.pid}-${randomBytes(4).toString('hex')}.sock`);
  const policies = Object.entries(options.apps) as [AppName, FleetPolicy][];
  for (const [app, policy] of policies) checkPolicy(app, policy, slots);
  // HAProxy starts while the environments do (their slots are switched on once both are up).
  const starting = startHaproxy({
    listeners,
    backends: {},
    ...(options.consoleServers ? { consoleServers: options.consoleServers } : {}),
    ...(options.ports ? { ports: options.ports } : {}),
    ...(options.configDir ? { configDir: options.configDir } : {}),
    ...(options.logDir ? { logDir: options.logDir } : {}),
    fleet: {
      socket,
      slots: Object.fromEntries(policies.map(([app]) => [app, slots])),
      limits: Object.fromEntries(policies.map(([app, p]) => [app, throttleAt(p)])),
    },
  });
  const balancer = starting.then(() => {});
  balancer.catch(() => {}); // reported by the start below
  const runtime = new HaproxyRuntime(socket);
  const metrics: FleetMetrics = {
    samples: [],
    coldStarts: [],
    throttles: { 'data-api': 0, 'upload-service': 0, 'workflow-worker': 0 },
    retired: [],
    died: [],
    failedStarts: [],
  };
  const log = eventLog(options.logDir);
  const fleets = new Map<AppName, AppScaler>();
  for (const [app, policy] of policies) {
    fleets.set(
      app,
      new AppScaler(app, policy, slots, {
        runtime,
        balancer,
        metrics,
        log,
        env: options.env,
        idleMs: options.idleMs ?? 30_000,
        cpu: options.cpu ?? 'lambda',
        logDir: options.logDir,
        backends: appBackends(app, listeners),
        keepSamples: options.keepSamples ?? Number.POSITIVE_INFINITY,
      }),
    );
  }
  let stopped = false;
  let polling: Promise<void> = Promise.resolve();
  const stop = async () => {
    stopped = true;
    await polling;
    // Front to back: stop taking traffic, then drain every environment.
    await (await starting.catch(() => undefined))?.stop();
    await Promise.allSettled([...fleets.values()].map((f) => f.stop()));
    rmSync(socket, { force: true });
  };
  let lb: LoadBalancer;
  try {
    [lb] = await Promise.all([starting, ...[...fleets.values()].map((f) => f.fill())]);
  } catch (error) {
    await stop();
    throw error;
  }
  const pollMs = options.pollMs ?? 100;
  const loop = async () => {
    while (!stopped) {
      try {
        const rows = await runtime.stat();
        for (const fleet of fleets.values()) fleet.tick(rows);
      } catch (error) {
        if (!stopped) log(`scaler: ${(error as Error).message}`);
      }
      await sleep(pollMs);
    }
  };
  polling = loop();
  return {
    urls: lb.urls,
    runtime,
    app(name) {
      const fleet = fleets.get(name);
      if (!fleet) throw new Error(`${name} has no fleet (started: ${[...fleets.keys()].join(', ')})`);
      return fleet;
    },
    metrics: () => metrics,
    stop,
  };
}

/** The load balancer admits a request while fewer than this many are in flight or queued. */
const throttleAt = (policy: FleetPolicy) => policy.max + (policy.queue ?? defaultQueue);

/**
 * At least one environment stays: HAProxy answers 503 at once when a backend has no server in
 * service (it cannot hold a request for a cold start, as Lambda does), so a fleet of none would
 * never see the queue that scales it.
 */
function checkPolicy(app: AppName, policy: FleetPolicy, slots: number) {
  const queue = policy.queue ?? defaultQueue;
  const integers = [policy.min, policy.max, queue].every(Number.isInteger);
  if (!integers || policy.min < 1 || policy.max < policy.min || policy.max > slots || queue < 0) {
    throw new Error(
      `${app}: min ${policy.min} / max ${policy.max} / queue ${queue} must satisfy 1 <= min <= max <= ${slots}, queue >= 0`,
    );
  }
}

/** The HAProxy backends an app's environment serves, each with the listener of the environment it takes. */
function appBackends(app: AppName, listeners: readonly Listener[]) {
  const ports = routes.filter((r) => r.app === app && listeners.includes(r.listener)).map((r) => r.port);
  return [...new Set(ports)].map((port) => ({ name: `${app}_${port}`, port }));
}

function eventLog(logDir: string | undefined) {
  if (!logDir) return () => {};
  mkdirSync(logDir, { recursive: true });
  const file = join(logDir, 'fleet.log');
  return (line: string) => appendFileSync(file, `${new Date().toISOString()} ${line}\n`);
}

interface ScalerDeps {
  runtime: HaproxyRuntime;
  /** Resolves once HAProxy is up. */
  balancer: Promise<void>;
  metrics: FleetMetrics;
  log: (line: string) => void;
  env: Record<string, string>;
  idleMs: number;
  cpu: 'lambda' | 'off';
  logDir: string | undefined;
  backends: { name: string; port: 'public' | 'internal' }[];
  keepSamples: number;
}

class AppScaler implements AppFleet {
  private readonly slots: Slot[];
  private started = 0;
  private stopped = false;
  private readonly launching = new Set<Promise<void>>();

  constructor(
    private readonly app: AppName,
    private current: FleetPolicy,
    slotCount: number,
    private readonly deps: ScalerDeps,
  ) {
    this.slots = Array.from({ length: slotCount }, (_, i) => ({
      index: i + 1,
      state: 'free',
      lastActive: 0,
      lastTotal: 0,
    }));
  }

  environments() {
    return this.slots.flatMap((s) => (s.state === 'serving' && s.environment ? [s.environment] : []));
  }

  policy() {
    return { ...this.current };
  }

  async setPolicy(policy: Partial<FleetPolicy>) {
    const next = { ...this.current, ...policy };
    checkPolicy(this.app, next, this.slots.length);
    this.current = next;
    await this.deps.runtime.setVariable(limitVariable(this.app), throttleAt(next));
  }

  async scaleTo(n: number) {
    const next = { min: n, max: n };
    checkPolicy(this.app, next, this.slots.length);
    this.current = next;
    await this.deps.runtime.setVariable(limitVariable(this.app), unlimited);
    const deadline = Date.now() + 120_000;
    while (this.count('serving') !== n || this.count('starting') + this.count('retiring') > 0) {
      if (Date.now() > deadline) throw new Error(`${this.app}: not at ${n} environments after 120 s`);
      await sleep(50);
    }
  }

  async kill(environment?: Environment) {
    const victim = environment ?? this.environments().at(-1);
    if (!victim) throw new Error(`${this.app}: no environment to kill`);
    await victim.kill();
    return victim;
  }

  /** Starts the warm minimum and waits for it (the fleet's start). */
  async fill() {
    const free = this.slots.filter((s) => s.state === 'free').slice(0, this.current.min);
    await Promise.all(free.map((slot) => this.launch(slot, true)));
  }

  /** One reading of HAProxy's counters: scale out, retire, record. */
  tick(rows: StatRow[]) {
    if (this.stopped) return;
    const now = Date.now();
    const row = (px: string, sv: string) => rows.find((r) => r.pxname === px && r.svname === sv);
    let inFlight = 0;
    let queued = 0;
    for (const backend of this.deps.backends) queued += row(backend.name, 'BACKEND')?.qcur ?? 0;
    for (const slot of this.slots) {
      if (slot.state !== 'serving' && slot.state !== 'retiring') continue;
      let busy = 0;
      let total = 0;
      for (const backend of this.deps.backends) {
        const server = row(backend.name, slotName(slot.index));
        busy += server?.scur ?? 0;
        total += server?.stot ?? 0;
      }
      inFlight += busy;
      // A request that started and ended between two readings still shows in the total.
      if (busy > 0 || total !== slot.lastTotal) slot.lastActive = now;
      slot.lastTotal = total;
    }
    this.deps.metrics.throttles[this.app] = row(throttleBackend(this.app), 'BACKEND')?.stot ?? 0;

    const { min, max } = this.current;
    // Lambda's rule: every request in flight has an environment; more waiting than running means
    // every running one is busy, so start one per waiting request, up to the limit.
    const wanted = Math.max(min, Math.min(max, inFlight + queued));
    const have = this.count('serving') + this.count('starting');
    for (const slot of this.slots.filter((s) => s.state === 'free').slice(0, Math.max(0, wanted - have))) {
      const launching = this.launch(slot, false);
      this.launching.add(launching);
      void launching.finally(() => this.launching.delete(launching));
    }
    // Above the limit (a lowered size): retire the newest at once. Above what is wanted: the idle ones.
    const serving = this.slots.filter((s) => s.state === 'serving').sort((a, b) => b.index - a.index);
    let surplus = have - max;
    for (const slot of serving) {
      if (surplus <= 0) break;
      void this.retire(slot, 'above the limit');
      surplus--;
    }
    // Only serving ones count: a cold start may yet fail.
    const keep = Math.max(min, wanted);
    let running = this.count('serving');
    for (const slot of serving.filter((s) => s.state === 'serving')) {
      if (running <= keep) break;
      if (now - slot.lastActive < this.deps.idleMs) continue;
      void this.retire(slot, `idle ${Math.round((now - slot.lastActive) / 1000)} s`);
      running--;
    }
    this.deps.metrics.samples.push({
      at: now,
      app: this.app,
      running: this.count('serving'),
      starting: this.count('starting'),
      inFlight,
      queued,
      throttled: this.deps.metrics.throttles[this.app],
    });
    const { samples } = this.deps.metrics;
    // Trimmed in halves, not one by one on every reading.
    if (samples.length > 2 * this.deps.keepSamples) samples.splice(0, samples.length - this.deps.keepSamples);
  }

  async stop() {
    this.stopped = true;
    // A cold start under way stops its environment once it is up (it sees `stopped`).
    await Promise.allSettled([...this.slots.map((s) => s.environment?.stop()), ...this.launching]);
  }

  private count(state: Slot['state']) {
    return this.slots.filter((s) => s.state === state).length;
  }

  /** A cold start into `slot`; `strict` (the fleet's start) throws instead of recording a failure. */
  private async launch(slot: Slot, strict: boolean) {
    slot.state = 'starting';
    const name = `${this.app}-${++this.started}`;
    let environment: Environment;
    try {
      environment = await startEnvironment({
        app: this.app,
        name,
        env: this.deps.env,
        ...(this.deps.logDir ? { logDir: this.deps.logDir } : {}),
        ...(this.deps.cpu === 'off' ? { cpu: null } : {}),
      });
    } catch (error) {
      slot.state = 'free';
      if (strict) throw error;
      const message = (error as Error).message;
      this.deps.metrics.failedStarts.push({ at: Date.now(), app: this.app, name, error: message });
      this.deps.log(`${name} failed to start: ${message}`);
      return;
    }
    if (this.stopped) {
      await environment.stop();
      slot.state = 'free';
      return;
    }
    slot.environment = environment;
    try {
      await this.deps.balancer;
      for (const backend of this.deps.backends) {
        const url = environment.urls[backend.port];
        if (url)
          await this.deps.runtime.enable(backend.name, slotName(slot.index), Number(new URL(url).port));
      }
    } catch (error) {
      await environment.stop();
      slot.environment = undefined;
      slot.state = 'free';
      if (strict) throw error;
      this.deps.log(`${name}: ${(error as Error).message}`);
      return;
    }
    slot.state = 'serving';
    slot.lastActive = Date.now();
    const at = Date.now();
    this.deps.metrics.coldStarts.push({ at, app: this.app, name, ms: environment.coldStartMs });
    this.deps.log(
      `${name} cold start ${environment.coldStartMs} ms (pid ${environment.pid}, cpu ${environment.cpu ?? 'unconstrained'})`,
    );
    void environment.exited.then(() => this.exited(slot, environment));
  }

  /** Out of the load balancer first, then SIGTERM: requests in flight finish. */
  private async retire(slot: Slot, why: string) {
    const { environment } = slot;
    if (slot.state !== 'serving' || !environment) return;
    slot.state = 'retiring';
    this.deps.metrics.retired.push({ at: Date.now(), app: this.app, name: environment.name });
    this.deps.log(`${environment.name} retired (${why})`);
    await this.disable(slot);
    await environment.stop();
  }

  private async exited(slot: Slot, environment: Environment) {
    if (slot.environment !== environment) return;
    if (slot.state === 'serving' && !this.stopped) {
      this.deps.metrics.died.push({ at: Date.now(), app: this.app, name: environment.name });
      this.deps.log(
        `${environment.name} exited unasked (killed or crashed); the scaler replaces it as needed`,
      );
      await this.disable(slot);
    }
    slot.environment = undefined;
    slot.state = 'free';
  }

  private async disable(slot: Slot) {
    for (const backend of this.deps.backends) {
      await this.deps.runtime.disable(backend.name, slotName(slot.index)).catch(() => {});
    }
  }
}

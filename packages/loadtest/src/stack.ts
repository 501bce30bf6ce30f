import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { mintServiceToken, mintUserToken } from '@stateless/contracts';
import {
  type Backends,
  freePort,
  type LoadBalancer,
  type LocalCloud,
  startHaproxy,
  startLocalCloud,
} from '@stateless/local-cloud';
import { type AppName, apps, health } from '@stateless/topology';
import type { StoresInfo } from './stores.ts';

export const repoRoot = join(import.meta.dirname, '../../..');
const urlOf = (port: number) => `http://127.0.0.1:${port}`;

export interface AppInstance {
  app: AppName;
  name: string;
  ports: number[];
  child: ChildProcess;
}

export interface StackOptions {
  /** Instances per app at start (data-api can be rescaled later). */
  instances: Record<AppName, number>;
  /** Where app and stand-in logs go. */
  logDir: string;
  /** Extra environment for every app (e.g. a test-only rate limit). */
  appEnv?: Record<string, string>;
}

/**
 * The whole system on this machine for a load run, as `pnpm dev` builds it
 * (local cloud, N instances of each app, HAProxy from the route table), but
 * with each app's instance count its own and instances that can be killed,
 * added and restarted while load runs. Apps log straight to files (no pipe
 * through this process), so their output costs this process nothing.
 */
export class LoadStack {
  readonly instances: AppInstance[] = [];
  private readonly started: Record<AppName, number> = {
    'upload-service': 0,
    'data-api': 0,
    'workflow-worker': 0,
  };
  private lb: LoadBalancer | undefined;
  private readonly ports: { public: number; internal: number; lambda: number };
  readonly secret = randomBytes(32).toString('base64url');
  private readonly serviceSecret = randomBytes(32).toString('base64url');
  private readonly cursorSecret = randomBytes(32).toString('base64url');
  readonly redisPrefix = `lt-${randomBytes(3).toString('hex')}:`;

  private constructor(
    readonly cloud: LocalCloud,
    private readonly options: StackOptions,
    ports: { public: number; internal: number; lambda: number },
  ) {
    this.ports = ports;
  }

  static async start(options: StackOptions): Promise<LoadStack> {
    const ports = { public: await freePort(), internal: await freePort(), lambda: await freePort() };
    const cloud = await startLocalCloud({
      stage: `lt${randomBytes(3).toString('hex')}`,
      logDir: options.logDir,
      lambdaEndpoint: urlOf(ports.lambda),
    });
    const stack = new LoadStack(cloud, options, ports);
    try {
      await Promise.all(
        apps.flatMap((app) => Array.from({ length: options.instances[app] }, () => stack.addInstance(app))),
      );
      await stack.reloadBalancer();
      return stack;
    } catch (error) {
      await stack.stop();
      throw error;
    }
  }

  get urls() {
    return {
      public: urlOf(this.ports.public),
      internal: urlOf(this.ports.internal),
      lambda: urlOf(this.ports.lambda),
    };
  }

  get stores(): StoresInfo {
    const { info } = this.cloud;
    return {
      region: info.region,
      awsEndpoint: info.awsEndpoint,
      stepFunctionsEndpoint: info.stepFunctionsEndpoint,
      table: info.names.assetsTable,
      bucket: info.names.assetsBucket,
      stateMachineArn: info.stateMachineArn,
      redisUrl: info.redisUrl,
      redisPrefix: this.redisPrefix,
    };
  }

  userToken = (userId: string) => mintUserToken(this.secret, userId, { ttl: '2h' });
  serviceToken = () => mintServiceToken(this.serviceSecret, 'loadtest', { ttl: '2h' });

  /** Starts one more instance of `app` and waits until it answers its health check on every port. */
  async addInstance(app: AppName): Promise<AppInstance> {
    const index = this.started[app]++;
    const name = `${app}-${index}`;
    const ports = app === 'data-api' ? [await freePort(), await freePort()] : [await freePort()];
    mkdirSync(this.options.logDir, { recursive: true });
    const log = openSync(join(this.options.logDir, `${name}.log`), 'a');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: join(repoRoot, 'apps', app),
      env: {
        ...process.env,
        ...this.cloud.info.env,
        AUTH_JWT_SECRET: this.secret,
        SERVICE_TOKEN_SECRET: this.serviceSecret,
        CURSOR_SECRET: this.cursorSecret,
        REDIS_KEY_PREFIX: this.redisPrefix,
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        DATA_API_INTERNAL_URL: this.urls.internal,
        PORT: String(ports[0]),
        INTERNAL_PORT: String(ports[1] ?? 0),
        ...this.options.appEnv,
      },
      stdio: ['ignore', log, log],
      detached: true,
    });
    closeSync(log);
    track(child);
    const instance = { app, name, ports, child };
    this.instances.push(instance);
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}; see its log`);
      const up = await Promise.all(ports.map((p) => httpOk(`${urlOf(p)}${health.live}`)));
      if (up.every(Boolean)) return instance;
      if (Date.now() > deadline) throw new Error(`${name} was not healthy after 60 s`);
      await sleep(100);
    }
  }

  running(app: AppName) {
    return this.instances.filter((i) => i.app === app && isAlive(i.child));
  }

  /** SIGKILL: no drain, no goodbye. HAProxy's health checks take it out of rotation. */
  kill(instance: AppInstance) {
    instance.child.kill('SIGKILL');
    return new Promise<void>((resolve) => {
      if (!isAlive(instance.child)) resolve();
      else instance.child.once('exit', () => resolve());
    });
  }

  /** Keeps the first `count` live data-api instances behind the balancer, starting more as needed. */
  async scaleDataApi(count: number) {
    while (this.running('data-api').length < count) await this.addInstance('data-api');
    const extra = this.running('data-api').slice(count);
    await Promise.all(extra.map((i) => this.stopInstance(i)));
    await this.reloadBalancer();
  }

  async stopInstance(instance: AppInstance) {
    if (!isAlive(instance.child)) return;
    const exited = new Promise<void>((resolve) => instance.child.once('exit', () => resolve()));
    instance.child.kill('SIGTERM');
    const timer = setTimeout(() => instance.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  /** HAProxy in front of every live instance (a new HAProxy on the same ports: between phases only). */
  async reloadBalancer() {
    await this.lb?.stop();
    const backends: Backends = {};
    for (const instance of this.instances) {
      if (!isAlive(instance.child)) continue;
      const backend = backends[instance.app] ?? { public: [], internal: [] };
      backends[instance.app] = backend;
      backend.public?.push(urlOf(instance.ports[0] as number));
      if (instance.ports[1]) backend.internal?.push(urlOf(instance.ports[1]));
    }
    this.lb = await startHaproxy({
      listeners: ['public', 'internal', 'lambda'],
      ports: this.ports,
      backends,
      configDir: join(this.options.logDir, 'haproxy'),
      logDir: this.options.logDir,
    });
  }

  /** The config file HAProxy runs with: how the CPU sampler tells our HAProxy from any other. */
  get haproxyConfig() {
    return join(this.options.logDir, 'haproxy', 'haproxy.cfg');
  }

  async stop() {
    await this.lb?.stop();
    await Promise.allSettled(this.instances.map((i) => this.stopInstance(i)));
    await this.cloud.stop();
  }
}

export const isAlive = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

async function httpOk(url: string) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

// If this process dies, take the apps with it (the local cloud's own children are handled by local-cloud).
const spawned = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of spawned) if (isAlive(child)) child.kill('SIGKILL');
});
const track = (child: ChildProcess) => spawned.add(child);

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AppName, apps, health } from '@stateless/topology';
import { type LocalCloud, startLocalCloud } from './cloud.ts';
import { type Backends, type LoadBalancer, startHaproxy } from './haproxy.ts';
import { freePort } from './ports.ts';
import { httpOk, type ManagedProcess, runningProcesses, startProcess, waitUntilReady } from './processes.ts';
import { repoRoot } from './tools.ts';

/** What `pnpm dev` writes to `.local/stack.json`: everything a person or a script needs to reach the stack. */
export interface StackFile {
  lb: string;
  internal: string;
  lambda: string;
  aws: string;
  stepfunctions: string;
  redis: string;
  region: string;
  stage: string;
  table: string;
  bucket: string;
  stateMachineArn: string;
  devToken?: string;
  instances: { app: AppName; pid: number; urls: string[] }[];
  pids: number[];
  logs: string;
  startedInMs: number;
}

/** Secrets shared by every instance (a token minted by one is valid on all), kept across restarts. */
export interface DevSecrets {
  AUTH_JWT_SECRET: string;
  CURSOR_SECRET: string;
}

export function devSecrets(dir: string): DevSecrets {
  const file = join(dir, 'dev-secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as DevSecrets;
  const secrets = {
    AUTH_JWT_SECRET: randomBytes(32).toString('base64url'),
    CURSOR_SECRET: randomBytes(32).toString('base64url'),
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

export interface DevStackOptions {
  dir: string;
  instances: number;
  stage: string;
  redisUrl?: string;
  /** Mints the demo user's token for stack.json. */
  mintDevToken?: (secrets: DevSecrets) => Promise<string>;
}

export interface DevStack {
  file: StackFile;
  stop(): Promise<void>;
}

/** The local cloud, N instances of every app, and HAProxy in front: the whole system on one machine. */
export async function startDevStack(options: DevStackOptions): Promise<DevStack> {
  const started = performance.now();
  const logs = join(options.dir, 'logs');
  const secrets = devSecrets(options.dir);
  const [lbPort, internalPort, lambdaPort] = [await freePort(), await freePort(), await freePort()];
  const urlOf = (port: number) => `http://127.0.0.1:${port}`;

  let cloud: LocalCloud | undefined;
  let lb: LoadBalancer | undefined;
  const instances: { app: AppName; server: ManagedProcess; urls: string[] }[] = [];
  const stop = async () => {
    // Front to back: stop taking traffic, drain the apps, then the stores they write to.
    await lb?.stop();
    await Promise.allSettled(instances.map((i) => i.server.stop(10_000)));
    await cloud?.stop();
  };

  try {
    cloud = await startLocalCloud({
      stage: options.stage,
      logDir: logs,
      lambdaEndpoint: urlOf(lambdaPort),
      ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}),
    });
    const env = {
      ...cloud.info.env,
      ...secrets,
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      DATA_API_INTERNAL_URL: urlOf(internalPort),
    };
    const backends: Backends = {};
    for (const app of apps) {
      for (let i = 0; i < options.instances; i++) {
        const [port, internal] = [await freePort(), await freePort()];
        const instance = startProcess({
          name: `${app}-${i}`,
          command: process.execPath,
          args: ['--import', 'tsx', 'src/server.ts'],
          cwd: join(repoRoot, 'apps', app),
          env: { ...env, PORT: String(port), INTERNAL_PORT: String(internal) },
          logDir: logs,
        });
        const urls = app === 'data-api' ? [urlOf(port), urlOf(internal)] : [urlOf(port)];
        instances.push({ app, server: instance, urls });
        const backend = backends[app] ?? { public: [], internal: [] };
        backends[app] = backend;
        backend.public?.push(urlOf(port));
        if (app === 'data-api') backend.internal?.push(urlOf(internal));
      }
    }
    await Promise.all(
      instances.map(({ server, urls }) =>
        waitUntilReady(
          server,
          async () => (await Promise.all(urls.map((u) => httpOk(`${u}${health.live}`)))).every(Boolean),
          60_000,
        ),
      ),
    );
    lb = await startHaproxy({
      listeners: ['public', 'internal', 'lambda'],
      ports: { public: lbPort, internal: internalPort, lambda: lambdaPort },
      backends,
      configDir: options.dir,
      logDir: logs,
    });
    const { info } = cloud;
    const file: StackFile = {
      lb: urlOf(lbPort),
      internal: urlOf(internalPort),
      lambda: urlOf(lambdaPort),
      aws: info.awsEndpoint,
      stepfunctions: info.stepFunctionsEndpoint,
      redis: info.redisUrl,
      region: info.region,
      stage: info.stage,
      table: info.names.assetsTable,
      bucket: info.names.assetsBucket,
      stateMachineArn: info.stateMachineArn,
      ...(options.mintDevToken ? { devToken: await options.mintDevToken(secrets) } : {}),
      instances: instances.map(({ app, server, urls }) => ({ app, pid: server.child.pid ?? -1, urls })),
      pids: [process.pid, ...runningProcesses().map((p) => p.child.pid ?? -1)],
      logs,
      startedInMs: Math.round(performance.now() - started),
    };
    writeFileSync(join(options.dir, 'stack.json'), `${JSON.stringify(file, null, 2)}\n`);
    return { file, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

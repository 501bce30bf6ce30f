import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { webConsoleEnv } from '@stateless/config';
import { type AppName, apps, webConsole } from '@stateless/topology';
import { type LocalCloud, startLocalCloud } from './cloud.ts';
import { type Fleet, startFleet } from './fleet.ts';
import { freePort, preferredPort } from './ports.ts';
import { httpOk, runningProcesses, startProcess, waitUntilReady } from './processes.ts';
import { repoRoot } from './tools.ts';

/** What `pnpm dev` writes to `.local/stack.json`: everything a person or a script needs to reach the stack. */
export interface StackFile {
  /** The web console, when started (`pnpm dev`): the public entry's `/`. */
  console?: string;
  lb: string;
  internal: string;
  lambda: string;
  /**
   * The load balancer's runtime API (HAProxy's admin socket): what an operator has in the AWS
   * console, e.g. `show stat` for each app's queue, or `set server data-api_public/env-1 state
   * maint` to take an environment out of service.
   */
  lbRuntime: string;
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
  /** Signs users' tokens (the dev sign-in, `pnpm token <user>`). */
  AUTH_JWT_SECRET: string;
  /** Signs service tokens (the apps' calls to the data API, `pnpm token --service <app>`), as in AWS. */
  SERVICE_TOKEN_SECRET: string;
  CURSOR_SECRET: string;
}

/** The stack directory's secrets: generated once; one missing from an older file is added, the rest kept. */
export function devSecrets(dir: string): DevSecrets {
  const file = join(dir, 'dev-secrets.json');
  const stored: Partial<DevSecrets> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  let added = false;
  const kept = (value: string | undefined) => {
    if (value) return value;
    added = true;
    return randomBytes(32).toString('base64url');
  };
  const secrets: DevSecrets = {
    AUTH_JWT_SECRET: kept(stored.AUTH_JWT_SECRET),
    SERVICE_TOKEN_SECRET: kept(stored.SERVICE_TOKEN_SECRET),
    CURSOR_SECRET: kept(stored.CURSOR_SECRET),
  };
  if (added) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return secrets;
}

export interface DevStackOptions {
  dir: string;
  instances: number;
  stage: string;
  redisUrl?: string;
  /** The public entry's port; taken or unset, a free one. */
  publicPort?: number;
  /**
   * Serve the web console's built files at the public entry's `/`, as the bucket does in AWS:
   * `dev` builds it into the stack's folder and again on every edit, `preview` serves `apps/web/dist`.
   */
  webConsole?: 'dev' | 'preview';
  /** Extra variables for every app instance (e.g. a lower rate limit in a test). */
  appEnv?: Record<string, string>;
  /** Each app's concurrency limit (environments at most; beyond it, 429). Unset: `instances`, a fixed size, no 429. */
  maxEnvironments?: number;
  /** An environment idle this long is retired, down to `instances` (`pnpm dev`: STACK_IDLE_SECONDS). */
  idleSeconds?: number;
  /** Mints the demo user's token for stack.json. */
  mintDevToken?: (secrets: DevSecrets) => Promise<string>;
}

export interface DevStack {
  file: StackFile;
  stop(): Promise<void>;
}

/**
 * The local cloud, every app's fleet of environments (N warm, like provisioned concurrency, more
 * as load needs them), and HAProxy in front: the whole system on one machine.
 */
export async function startDevStack(options: DevStackOptions): Promise<DevStack> {
  const started = performance.now();
  const logs = join(options.dir, 'logs');
  const secrets = devSecrets(options.dir);
  const lbPort =
    options.publicPort === undefined ? await freePort() : await preferredPort(options.publicPort);
  const [internalPort, lambdaPort] = [await freePort(), await freePort()];
  const urlOf = (port: number) => `http://127.0.0.1:${port}`;
  // stack.json exists exactly while the stack runs: a script waiting for it must not find the
  // last run's (dead ports), even after a crash that left it behind.
  const stackFile = join(options.dir, 'stack.json');
  rmSync(stackFile, { force: true });

  let cloud: LocalCloud | undefined;
  let fleet: Fleet | undefined;
  let web: WebConsole | undefined;
  const stop = async () => {
    rmSync(stackFile, { force: true });
    // Front to back: stop taking traffic, drain the apps, then the stores they write to.
    await fleet?.stop();
    await web?.stop();
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
      ...options.appEnv,
    };
    const ready: Promise<void>[] = [];
    const consoleServers: string[] = [];
    if (options.webConsole) {
      const webPort = await freePort();
      // The apps' settings too: the console reads the ones it shares with them (MAX_UPLOAD_BYTES).
      const env = { ...cloud.info.env, ...secrets, ...options.appEnv };
      web = startWebConsole({
        mode: options.webConsole,
        port: webPort,
        env,
        logDir: logs,
        buildDir: join(options.dir, 'web'),
      });
      consoleServers.push(urlOf(webPort));
      ready.push(web.ready);
    }
    // Without a limit, a fixed size: requests beyond it wait in the queue instead of a 429.
    const policy = options.maxEnvironments
      ? { min: options.instances, max: options.maxEnvironments }
      : { min: options.instances, max: options.instances, queue: 1_000 };
    fleet = await startFleet({
      apps: Object.fromEntries(apps.map((app) => [app, policy])),
      // The last few minutes: a stack that runs for days must not grow.
      keepSamples: 10_000,
      env,
      ...(options.idleSeconds ? { idleMs: options.idleSeconds * 1000 } : {}),
      listeners: ['public', 'internal', 'lambda'],
      consoleServers,
      ports: { public: lbPort, internal: internalPort, lambda: lambdaPort },
      configDir: options.dir,
      logDir: logs,
    });
    await Promise.all(ready);
    const running = apps.flatMap((app) => (fleet as Fleet).app(app).environments());
    const { info } = cloud;
    const file: StackFile = {
      ...(options.webConsole ? { console: `${urlOf(lbPort)}/` } : {}),
      lb: urlOf(lbPort),
      internal: urlOf(internalPort),
      lambda: urlOf(lambdaPort),
      lbRuntime: (fleet as Fleet).runtime.socket,
      aws: info.awsEndpoint,
      stepfunctions: info.stepFunctionsEndpoint,
      redis: info.redisUrl,
      region: info.region,
      stage: info.stage,
      table: info.names.assetsTable,
      bucket: info.names.assetsBucket,
      stateMachineArn: info.stateMachineArn,
      ...(options.mintDevToken ? { devToken: await options.mintDevToken(secrets) } : {}),
      instances: running.map(({ app, pid, urls }) => ({ app, pid, urls: Object.values(urls) })),
      pids: [process.pid, ...runningProcesses().map((p) => p.child.pid ?? -1)],
      logs,
      startedInMs: Math.round(performance.now() - started),
    };
    // Whole or not at all: a reader polling for the file never gets half of it.
    const partial = `${stackFile}.${process.pid}.tmp`;
    writeFileSync(partial, `${JSON.stringify(file, null, 2)}\n`);
    renameSync(partial, stackFile);
    return { file, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

const webDir = join(repoRoot, 'apps', 'web');

export interface WebConsoleOptions {
  /** `dev`: rebuilt on every edit (`vite build --watch` into `buildDir`); `preview`: `apps/web/dist` as built. */
  mode: 'dev' | 'preview';
  port: number;
  env: Record<string, string>;
  logDir: string;
  /** Where `dev` builds to: the stack's own folder, so stacks never share a build. */
  buildDir: string;
}

export interface WebConsole {
  /** Resolves once the console answers on its port (after the first build, in `dev`). */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/**
 * The console's server on `port` (HAProxy's `web_console` backend): Vite's preview server, which
 * serves the built files and nothing else, as the bucket does in AWS. Not Vite's dev server: it
 * serves any file under the workspace root (`/@fs/`, `?raw`), the stack's secrets and logs
 * included, to any localhost origin.
 */
export function startWebConsole(options: WebConsoleOptions): WebConsole {
  const { mode, port, logDir } = options;
  if (mode === 'preview' && !existsSync(join(webDir, 'dist', 'index.html'))) {
    throw new Error('apps/web/dist is missing: run `pnpm --filter @stateless/web build` first');
  }
  // What the console's server reads (webConsoleEnv): the dev sign-in mints tokens with the
  // stack's key, the CSP allows the S3 stand-in, and Uppy gets the upload service's limit.
  const env = Object.fromEntries(
    Object.keys(webConsoleEnv.properties).flatMap((name) =>
      options.env[name] ? [[name, options.env[name]]] : [],
    ),
  );
  // --bypass-lock: Vite 8 refuses a second server of one project, and every stack (a test's, `pnpm dev`) has its own.
  const vite = (...args: string[]) => [
    '--import',
    'tsx',
    'node_modules/vite/bin/vite.js',
    ...args,
    '--configLoader',
    'native',
    '--bypass-lock',
  ];
  // dev: a build of its own, rebuilt on every edit (reload the page to see it), served as built.
  const outDir = mode === 'dev' ? options.buildDir : join(webDir, 'dist');
  // The last run's build must not pass for this one's (readiness waits for index.html).
  if (mode === 'dev') rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const builder =
    mode === 'dev'
      ? startProcess({
          name: 'web-console-build',
          command: process.execPath,
          args: vite('build', '--watch', '--outDir', outDir, '--emptyOutDir'),
          cwd: webDir,
          env,
          logDir,
        })
      : undefined;
  const server = startProcess({
    name: 'web-console',
    command: process.execPath,
    args: vite('preview', '--outDir', outDir, '--host', '127.0.0.1', '--port', String(port)),
    cwd: webDir,
    env,
    logDir,
  });
  const processes = builder ? [builder, server] : [server];
  const url = `http://127.0.0.1:${port}${webConsole.healthPath}`;
  const built = () => Promise.resolve(existsSync(join(outDir, 'index.html')));
  return {
    ready: (async () => {
      if (builder) await waitUntilReady(builder, built, 60_000);
      await waitUntilReady(server, () => httpOk(url), 60_000);
    })(),
    stop: async () => void (await Promise.all(processes.map((p) => p.stop()))),
  };
}

import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadEnv, localStackEnv } from '@stateless/config';
import { apps } from '@stateless/topology';
import { devSecrets, startDevStack } from './stack.ts';
import { localDir } from './tools.ts';

const config = loadEnv(localStackEnv);
const dir = config.STACK_DIR ?? localDir;
const [command, ...args] = process.argv.slice(2);

const tokenUsage = `usage: pnpm --silent run token <userId>            a user's bearer token (public entry)
       pnpm --silent run token --service <app>   an app's service token (internal entry): ${apps.join(', ')}
Prints a token the local stack accepts, valid for 12 hours (a service token 1 hour), signed with the keys in ${join(dir, 'dev-secrets.json')}.`;
const usage = `usage: cli.ts up | token <userId> | token --service <app>`;
/** `--help` or `-h` anywhere: what a person asking for help wants is the usage, on stdout, exit 0. */
const asksForHelp = (args: string[]) => args.some((arg) => arg === '--help' || arg === '-h');

/**
 * A bearer token the local stack accepts, as long-lived as the apps accept by default: a user's
 * (the public entry; 12 hours, with the local issuer), or with `--service <app>` one app's service
 * token (the internal entry, as that app calls it; 1 hour).
 */
async function mintToken(args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    options: { service: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const { AUTH_JWT_SECRET, SERVICE_TOKEN_SECRET } = devSecrets(dir);
  const {
    defaultMaxTokenLifetimeSeconds: longest,
    mintServiceToken,
    mintUserToken,
  } = await import('@stateless/contracts');
  if (values.service !== undefined && positionals.length === 0) {
    if (!(apps as readonly string[]).includes(values.service)) {
      throw new Error(`unknown app "${values.service}": one of ${apps.join(', ')}`);
    }
    return mintServiceToken(SERVICE_TOKEN_SECRET, values.service, { ttl: longest.service });
  }
  const [userId] = positionals;
  if (values.service !== undefined || positionals.length !== 1 || !userId) throw new Error(tokenUsage);
  return mintUserToken(AUTH_JWT_SECRET, userId, { ttl: longest.user });
}

/**
 * The local stand-in for the EventBridge schedule infra gives the data API:
 * the same sweep of deleted assets' S3 leftovers, through the internal entry.
 */
async function scheduleSweep(internalUrl: string) {
  const { SERVICE_TOKEN_SECRET } = devSecrets(dir);
  const { createDataApiInternalClient, serviceTokenSource } = await import('@stateless/contracts');
  const client = createDataApiInternalClient({
    baseUrl: internalUrl,
    token: serviceTokenSource(SERVICE_TOKEN_SECRET, 'local-scheduler'),
  });
  const sweep = async () => {
    try {
      // Like the Lambda handler: batches until nothing is left or a batch makes no progress.
      for (;;) {
        const { swept, failed, remaining } = await client.sweepDeleted();
        if (swept + failed > 0) console.log(`[schedule] sweep-deleted: ${swept} swept, ${failed} failed`);
        if (!remaining || swept === 0) return;
      }
    } catch (error) {
      console.error(`[schedule] sweep-deleted failed: ${(error as Error).message}`);
    }
  };
  const timer = setInterval(sweep, config.STACK_SWEEP_SECONDS * 1000);
  return () => clearInterval(timer);
}

async function up() {
  const stack = await startDevStack({
    dir,
    instances: config.STACK_INSTANCES,
    maxEnvironments: Math.max(config.STACK_INSTANCES, config.STACK_MAX_ENVIRONMENTS),
    idleSeconds: config.STACK_IDLE_SECONDS,
    publicPort: config.STACK_PUBLIC_PORT,
    webConsole: 'dev',
    stage: config.STACK_STAGE,
    ...(config.REDIS_URL ? { redisUrl: config.REDIS_URL } : {}),
    mintDevToken: () => mintToken(['demo-user']),
  });
  const { file } = stack;
  const stopSweeping = await scheduleSweep(file.internal);
  const portNote =
    config.STACK_PUBLIC_PORT && new URL(file.lb).port !== String(config.STACK_PUBLIC_PORT)
      ? ` (port ${config.STACK_PUBLIC_PORT} was taken; STACK_PUBLIC_PORT sets another)`
      : '';
  console.log(`
  web console       ${file.console}${portNote}

The stateless stack is up (${file.startedInMs} ms, ${file.instances.length} app environments warm; up to ${config.STACK_MAX_ENVIRONMENTS} per app under load, idle ones retired after ${config.STACK_IDLE_SECONDS} s):
  public entry      ${file.lb}      (try: curl -H "authorization: Bearer $(jq -r .devToken ${join(dir, 'stack.json')})" ${file.lb}/assets)
  internal entry    ${file.internal}
  lambda (worker)   ${file.lambda}
  aws (moto)        ${file.aws}
  step functions    ${file.stepfunctions}
  redis             ${file.redis}
  state machine     ${file.stateMachineArn}
  sweep-deleted     every ${config.STACK_SWEEP_SECONDS} s (STACK_SWEEP_SECONDS)
Endpoints: ${join(dir, 'stack.json')}   logs: ${file.logs}
Ctrl-C stops everything.`);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    stopSweeping();
    console.log(`\n${signal}: stopping…`);
    await stack.stop();
    console.log('stopped; nothing left running');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

switch (command) {
  case 'up':
    await up();
    break;
  case 'token': {
    if (asksForHelp(args)) {
      console.log(tokenUsage);
      break;
    }
    try {
      console.log(await mintToken(args));
    } catch (error) {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(2);
    }
    break;
  }
  default:
    if (command !== undefined && asksForHelp([command])) {
      console.log(usage);
      break;
    }
    console.error(usage);
    process.exit(2);
}

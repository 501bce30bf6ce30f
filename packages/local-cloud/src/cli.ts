import { join } from 'node:path';
import { loadEnv, localStackEnv } from '@stateless/config';
import { devSecrets, startDevStack } from './stack.ts';
import { localDir } from './tools.ts';

const config = loadEnv(localStackEnv);
const dir = config.STACK_DIR ?? localDir;
const [command, ...args] = process.argv.slice(2);

/** A bearer token the local stack's data API accepts, valid for 12 hours. */
async function mintToken(userId: string) {
  const { AUTH_JWT_SECRET } = devSecrets(dir);
  const { mintUserToken } = await import('@stateless/contracts');
  return mintUserToken(AUTH_JWT_SECRET, userId, { ttl: '12h' });
}

async function up() {
  const stack = await startDevStack({
    dir,
    instances: config.STACK_INSTANCES,
    stage: config.STACK_STAGE,
    ...(config.REDIS_URL ? { redisUrl: config.REDIS_URL } : {}),
    mintDevToken: () => mintToken('demo-user'),
  });
  const { file } = stack;
  console.log(`
The stateless stack is up (${file.startedInMs} ms, ${file.instances.length} app instances):
  public entry      ${file.lb}      (try: curl -H "authorization: Bearer $(jq -r .devToken ${join(dir, 'stack.json')})" ${file.lb}/assets)
  internal entry    ${file.internal}
  lambda (worker)   ${file.lambda}
  aws (moto)        ${file.aws}
  step functions    ${file.stepfunctions}
  redis             ${file.redis}
  state machine     ${file.stateMachineArn}
Endpoints: ${join(dir, 'stack.json')}   logs: ${file.logs}
Ctrl-C stops everything.`);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
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
    const userId = args[0];
    if (!userId) {
      console.error('usage: pnpm -s run token <userId>');
      process.exit(2);
    }
    console.log(await mintToken(userId));
    break;
  }
  default:
    console.error('usage: cli.ts up | token <userId>');
    process.exit(2);
}

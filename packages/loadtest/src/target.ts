import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { mintUserToken } from '@stateless/contracts';
import { readOnlyMix } from './mix.ts';
import { runPhase } from './run.ts';
import {
  type Dataset,
  prepareDataset,
  type ScenarioOptions,
  type ScenarioResult,
  splitDataset,
} from './scenarios.ts';
import { checkInvariants, openStores, type SeededAsset } from './stores.ts';

/** The parts of `pnpm dev`'s stack.json a load run reads. */
interface StackFile {
  lb: string;
  aws: string;
  stepfunctions: string;
  redis: string;
  region: string;
  table: string;
  bucket: string;
  stateMachineArn: string;
  pids: number[];
}

/**
 * The mix against a stack this run did not start: a running `pnpm dev` (seeded
 * through its stores, invariants checked after) or any base URL with a user's
 * token (that user's own assets, read-only unless a mix is given, no store access).
 * Chaos needs processes of our own, so it runs only on the load test's own stack.
 */
export async function runAgainst(
  options: ScenarioOptions & { target?: string; url?: string; token?: string; explicitMix: boolean },
  notes: string[],
): Promise<ScenarioResult[]> {
  const phase = (baseUrl: string, data: Dataset, cpuRoots: Record<number, string>, mix = options.mix) =>
    runPhase({
      name: 'mix',
      description: `The mix against ${baseUrl}.`,
      generator: {
        baseUrl,
        connections: options.connections,
        durationSeconds: options.durationSeconds,
        mix,
        hot: data.hot,
        cold: data.coldTail(),
        edit: mix.patch > 0 ? data.edit : [],
        tokens: data.tokens,
        ...data.uploadLoad(options.uploadConcurrency),
      },
      cpuRoots,
    });

  if (options.target) {
    const file = JSON.parse(readFileSync(options.target, 'utf8')) as StackFile;
    const { AUTH_JWT_SECRET } = JSON.parse(
      readFileSync(join(dirname(options.target), 'dev-secrets.json'), 'utf8'),
    );
    const stores = openStores({
      region: file.region,
      awsEndpoint: file.aws,
      stepFunctionsEndpoint: file.stepfunctions,
      table: file.table,
      bucket: file.bucket,
      stateMachineArn: file.stateMachineArn,
      redisUrl: file.redis,
      redisPrefix: 'data-api:', // the data API's default; `pnpm dev` does not change it
    });
    try {
      const data = await prepareDataset(stores, options, (userId) =>
        mintUserToken(AUTH_JWT_SECRET, userId, { ttl: '2h' }),
      );
      const root = file.pids[0] as number;
      const result = await phase(file.lb, data, { [root]: 'pnpm dev (+ Step Functions server)' });
      data.record(result);
      notes.push(
        `Against the running stack of ${options.target}; chaos scenarios run only on the load test's own stack.`,
      );
      const invariants = await checkInvariants(stores, data.acknowledged, { uploads: data.uploadsToCheck() });
      return [{ ...result, invariants, facts: {} }];
    } finally {
      stores.close();
    }
  }

  if (!options.url || !options.token)
    throw new Error('--url needs --token (a bearer token of the user whose assets are read)');
  const owned = await discover(options.url, options.token, options.owners * options.assetsPerOwner);
  if (owned.length === 0) throw new Error(`${options.url}: the token's user has no assets to read`);
  const data = splitDataset(owned, { user: options.token });
  const mix = options.explicitMix ? options.mix : readOnlyMix;
  const result = await phase(options.url, data, {}, mix);
  notes.push(
    `Against ${options.url} with a given token: ${owned.length} of its user's assets; no store access, so no invariants.`,
  );
  return [{ ...result, invariants: [], facts: {} }];
}

/** Up to `limit` of the token's user's asset ids, through the list route. */
async function discover(baseUrl: string, token: string, limit: number): Promise<SeededAsset[]> {
  const found: SeededAsset[] = [];
  let cursor: string | null | undefined;
  do {
    const query = `?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await fetch(`${baseUrl}/assets${query}`, { headers: { authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`GET /assets: ${res.status} ${await res.text()}`);
    const page = (await res.json()) as { items: { id: string }[]; nextCursor?: string | null };
    found.push(...page.items.map((a) => ({ id: a.id, ownerId: 'user' })));
    cursor = page.nextCursor;
  } while (cursor && found.length < limit);
  return found.slice(0, limit);
}

import { randomBytes } from 'node:crypto';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { uploadEvents } from '@stateless/topology';
import type { GeneratorConfig } from './generator.ts';
import { type Mix, readOnlyMix } from './mix.ts';
import { type PhaseResult, runPhase, type TimedAction } from './run.ts';
import type { LoadStack } from './stack.ts';
import {
  type Acknowledged,
  cachedAssetCount,
  checkInvariants,
  type InvariantResult,
  openStores,
  type SeededAsset,
  type Stores,
  seedAssets,
} from './stores.ts';
import { smallPng } from './upload-load.ts';
import { uploadSingle, waitForFinalStatus } from './uploads.ts';

export type ScenarioName = 'mix' | 'scale' | 'kill' | 'redis' | 'stepfunctions';
export const scenarioNames: ScenarioName[] = ['mix', 'scale', 'kill', 'redis', 'stepfunctions'];

export interface ScenarioOptions {
  scenarios: ScenarioName[];
  connections: number;
  /** Seconds of each mixed-load phase (mix, kill, redis). */
  durationSeconds: number;
  /** Seconds per instance count of the scale-out. */
  scaleSeconds: number;
  scaleCounts: number[];
  mix: Mix;
  owners: number;
  assetsPerOwner: number;
  /** Uploads in flight through the pipeline during each mixed phase (0: none). */
  uploadConcurrency: number;
}

export interface ScenarioResult extends PhaseResult {
  invariants: InvariantResult[];
  /** Figures particular to the scenario (instances, cache fill). */
  facts: Record<string, number | string>;
}

/**
 * The seeded data of a run, split by use: edited assets (one writer each),
 * a cold tail read in order, the rest read with a Zipf distribution.
 */
export class Dataset {
  readonly acknowledged: Acknowledged = {};
  /** Every upload S3 acknowledged, over all phases so far. */
  readonly uploaded: string[] = [];
  /**
   * Uploads whose execution the Step Functions server lost when it restarted (our stand-in keeps
   * executions in memory; AWS keeps them running): left out of the upload invariants, and reported.
   */
  readonly lostToRestart: string[] = [];
  /**
   * Uploads whose executions ended before that restart: READY, checked as such, but the restarted
   * stand-in no longer lists their executions (AWS keeps the history 90 days), so not counted.
   */
  readonly runBeforeRestart: string[] = [];
  private coldOffset = 0;
  constructor(
    readonly hot: SeededAsset[],
    private readonly cold: SeededAsset[],
    readonly edit: SeededAsset[],
    readonly tokens: Record<string, string>,
    /** The user whose assets are this run's uploads, and nothing else. */
    readonly uploader?: { ownerId: string; token: string },
  ) {}

  /** The generator's uploads for a phase: none without an uploader or at concurrency 0. */
  uploadLoad(concurrency: number) {
    return this.uploader && concurrency > 0 ? { uploads: { ...this.uploader, concurrency } } : {};
  }

  uploadsToCheck() {
    return (
      this.uploader && {
        ownerId: this.uploader.ownerId,
        acknowledged: this.uploaded,
        excluded: this.lostToRestart,
        executionsForgotten: this.runBeforeRestart,
      }
    );
  }

  /** The cold tail not read yet (earlier phases used the start of it). */
  coldTail() {
    return this.cold.slice(this.coldOffset);
  }

  record(phase: PhaseResult) {
    const cold = phase.load.routes.find((r) => r.kind === 'cold');
    this.coldOffset = Math.min(this.cold.length, this.coldOffset + (cold?.requests ?? 0));
    for (const [id, version] of Object.entries(phase.load.acknowledged)) {
      this.acknowledged[id] = Math.max(this.acknowledged[id] ?? 0, version);
    }
    this.uploaded.push(...(phase.load.uploads?.acknowledged ?? []));
  }
}

/** Seeds the run's users and assets and splits them by use. */
export async function prepareDataset(
  stores: Stores,
  options: Pick<ScenarioOptions, 'owners' | 'assetsPerOwner'>,
  tokenFor: (userId: string) => Promise<string>,
) {
  const runId = randomBytes(3).toString('hex');
  const owners = Array.from({ length: options.owners }, (_, i) => `loadtest-${runId}-user-${i}`);
  const seeded = await seedAssets(stores, owners, options.assetsPerOwner, runId);
  const tokens = Object.fromEntries(await Promise.all(owners.map(async (o) => [o, await tokenFor(o)])));
  const uploader = `loadtest-${runId}-uploader`;
  return splitDataset(seeded, tokens, { ownerId: uploader, token: await tokenFor(uploader) });
}

export function splitDataset(
  seeded: SeededAsset[],
  tokens: Record<string, string>,
  uploader?: Dataset['uploader'],
) {
  // Interleave owners so every slice has all of them.
  const byIndex = [...seeded].sort((a, b) => a.id.slice(-5).localeCompare(b.id.slice(-5)));
  const editCount = Math.min(200, Math.floor(byIndex.length / 10));
  const coldCount = Math.floor(byIndex.length * 0.4);
  return new Dataset(
    byIndex.slice(editCount, byIndex.length - coldCount),
    byIndex.slice(byIndex.length - coldCount),
    byIndex.slice(0, editCount),
    tokens,
    uploader,
  );
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

/**
 * Uploads whose executions run, a stop of the Step Functions server, uploads while it is down,
 * and a start: the executions running at the stop are lost (stand-in only), and the uploads made
 * while it was down end READY once SQS redelivers their S3 events (after the queue's visibility
 * timeout), because the upload function reported them failed rather than dropping them.
 */
async function restartStepFunctions(
  stack: LoadStack,
  stores: Stores,
  data: Dataset,
  facts: Record<string, number | string>,
) {
  const { uploader } = data;
  if (!uploader) throw new Error('the stepfunctions scenario needs the run to have an uploader');
  const bytes = new Uint8Array(await smallPng());
  const upload = (name: string) =>
    uploadSingle(stack.urls.public, uploader.token, { name, type: 'image/png', bytes });
  const before = await Promise.all([1, 2, 3].map((i) => upload(`before-restart-${i}.png`)));
  data.uploaded.push(...before);
  // Stop as soon as their executions run (their S3 events take a moment to arrive).
  let running: string[] = [];
  const deadline = Date.now() + 15_000;
  while (running.length === 0 && Date.now() < deadline) {
    const { executions = [] } = await stores.sfn.send(
      new ListExecutionsCommand({ stateMachineArn: stores.info.stateMachineArn, statusFilter: 'RUNNING' }),
    );
    running = executions.flatMap((e) => (e.name && before.includes(e.name) ? [e.name] : []));
    if (running.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stack.cloud.stepFunctions.stop();
  // Lost: every one of them not READY at the stop, not only those listed running: an event handled
  // between the listing and the stop starts its execution on the old server, unlisted. (One whose
  // event is still queued is left out too, though its redelivery would run it.)
  const statusOf = async (id: string) => {
    const res = await fetch(`${stack.urls.public}/assets/${id}`, {
      headers: { authorization: `Bearer ${uploader.token}` },
    });
    return ((await res.json()) as { status?: string }).status ?? `HTTP ${res.status}`;
  };
  const atStop = await Promise.all(before.map(statusOf));
  data.lostToRestart.push(...before.filter((_, i) => atStop[i] !== 'READY'));
  data.runBeforeRestart.push(...data.uploaded.filter((id) => !data.lostToRestart.includes(id)));
  facts['executions running at the stop'] = running.length;
  const whileDown = await Promise.all([1, 2, 3].map((i) => upload(`while-down-${i}.png`)));
  data.uploaded.push(...whileDown);
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  await stack.cloud.stepFunctions.start();
  const restarted = performance.now();
  const redelivery = (uploadEvents.visibilityTimeoutSeconds + 60) * 1000;
  const after = await Promise.all(
    whileDown.map((id) => waitForFinalStatus(stack.urls.public, uploader.token, id, redelivery)),
  );
  facts['uploads made while it was down'] = whileDown.length;
  facts['of those, READY after the restart'] = after.filter((a) => a.status === 'READY').length;
  facts['seconds from the start to the last of them READY'] = seconds(performance.now() - restarted);
  const lost = await Promise.all(data.lostToRestart.map(statusOf));
  facts['assets not READY at the stop (left out), after the restart'] = lost.join(', ') || 'none';
}

/** Waits until the upload events queue holds nothing, visible or in flight (bounded: 5 minutes). */
async function drainUploadEvents(sqs: SQSClient, queueUrl: string) {
  const deadline = Date.now() + 300_000;
  for (let empty = 0; empty < 2; ) {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    const left =
      Number(Attributes.ApproximateNumberOfMessages) +
      Number(Attributes.ApproximateNumberOfMessagesNotVisible);
    empty = left === 0 ? empty + 1 : 0;
    if (Date.now() > deadline)
      throw new Error(`the seeding's ${left} upload events did not drain in 5 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** Reads every hot asset once through the load balancer, 16 at a time, so the cache holds them. */
async function warmCache(baseUrl: string, data: Dataset) {
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < data.hot.length) {
        const asset = data.hot[next++] as SeededAsset;
        const res = await fetch(`${baseUrl}/assets/${asset.id}`, {
          headers: { authorization: `Bearer ${data.tokens[asset.ownerId]}` },
        });
        await res.body?.cancel();
      }
    }),
  );
}

/** Runs the chosen scenarios on a stack started for the purpose, each followed by the invariants. */
export async function runScenarios(stack: LoadStack, options: ScenarioOptions) {
  const stores = openStores(stack.stores);
  try {
    const data = await prepareDataset(stores, options, stack.userToken);
    // Seeding puts every original in S3, and S3 sends an Object Created event for each: the upload
    // function must have taken them all (each a no-op: the asset is READY) before the load starts.
    await drainUploadEvents(stores.sqs, stack.cloud.info.uploadEventsQueueUrl);
    // A running service's cache holds its hot assets: every one is read once first, or each phase's
    // first reads of the Zipf tail would wait on DynamoDB (here moto, one Python process). The cold
    // tail stays uncached: the `cold` kind measures that path.
    await warmCache(stack.urls.public, data);
    const cpuRoots = { [process.pid]: 'load test driver (+ Step Functions server)' };
    const results: ScenarioResult[] = [];
    const generator = (mix: Mix, durationSeconds: number, uploads: boolean): GeneratorConfig => ({
      baseUrl: stack.urls.public,
      connections: options.connections,
      durationSeconds,
      mix,
      hot: data.hot,
      cold: data.coldTail(),
      edit: mix.patch > 0 ? data.edit : [],
      tokens: data.tokens,
      ...data.uploadLoad(uploads ? options.uploadConcurrency : 0),
    });
    const phase = async (
      name: string,
      description: string,
      mix: Mix,
      seconds: number,
      actions: TimedAction[] = [],
      facts: Record<string, number | string> = {},
      // The scale-out measures reads alone; the other phases upload too, unless they upload themselves.
      withUploads = mix !== readOnlyMix,
    ) => {
      const result = await runPhase({
        name,
        description,
        generator: generator(mix, seconds, withUploads),
        cpuRoots,
        actions,
      });
      data.record(result);
      const invariants = await checkInvariants(stores, data.acknowledged, { uploads: data.uploadsToCheck() });
      const scenario: ScenarioResult = {
        ...result,
        invariants,
        facts: { ...facts, 'data-api instances': stack.running('data-api').length },
      };
      results.push(scenario);
      return scenario;
    };

    if (options.scenarios.includes('mix')) {
      await phase(
        'mix',
        'The realistic mix at the starting instance counts.',
        options.mix,
        options.durationSeconds,
      );
    }
    if (options.scenarios.includes('scale')) {
      for (const count of options.scaleCounts) {
        await stack.scaleDataApi(count);
        await phase(
          `scale-${count}`,
          `Cached reads (Zipf over ${data.hot.length} assets) at ${count} data-api instance(s) behind HAProxy.`,
          readOnlyMix,
          options.scaleSeconds,
        );
      }
      await stack.scaleDataApi(2);
    }
    if (options.scenarios.includes('kill')) {
      const d = options.durationSeconds;
      const facts: Record<string, string> = {};
      const actions: TimedAction[] = (['data-api', 'upload-service', 'workflow-worker'] as const).map(
        (app) => ({
          at: d / 3,
          what: `SIGKILL ${app} (one of ${stack.running(app).length})`,
          run: async () => {
            const victim = stack.running(app).at(-1);
            if (!victim || stack.running(app).length < 2) throw new Error(`fewer than two ${app} instances`);
            facts[`killed ${app}`] = `${victim.name} (pid ${victim.child.pid})`;
            await stack.kill(victim);
          },
        }),
      );
      await phase(
        'kill',
        'The mix while one instance of each app is SIGKILLed (no drain).',
        options.mix,
        d,
        actions,
        facts,
      );
      // Replace the killed instances for the scenarios after this one.
      for (const app of ['data-api', 'upload-service', 'workflow-worker'] as const) {
        while (stack.running(app).length < 2) await stack.addInstance(app);
      }
      await stack.reloadBalancer();
    }
    if (options.scenarios.includes('redis')) {
      const d = options.durationSeconds;
      const redis = stack.cloud.redis;
      if (!redis) throw new Error('the redis scenario needs the stack to run its own Redis');
      const facts: Record<string, number> = {};
      const result = await phase(
        'redis',
        'The mix while Redis is stopped (an empty cache when it is back, as after a failover) and started again.',
        options.mix,
        d,
        [
          {
            at: d / 3,
            what: 'Redis stopped',
            run: async () => {
              facts['cached assets before the outage'] = await cachedAssetCount(stores);
              await redis.stop();
            },
          },
          {
            at: (2 * d) / 3,
            what: 'Redis started again (empty)',
            run: async () => {
              await redis.start();
              facts['cached assets just after the restart'] = await cachedAssetCount(stores);
            },
          },
        ],
        facts,
      );
      result.facts['cached assets at the end'] = await cachedAssetCount(stores);
    }
    if (options.scenarios.includes('stepfunctions')) {
      const facts: Record<string, number | string> = {};
      await phase(
        'stepfunctions',
        'The mix while the Step Functions server is stopped with executions running, uploads arrive, and it starts again empty (our stand-in keeps executions in memory; AWS keeps them running through any failure of its own).',
        options.mix,
        options.durationSeconds,
        [
          {
            at: options.durationSeconds / 3,
            what: 'Step Functions server stopped with executions running; 3 uploads while down; started again',
            run: () => restartStepFunctions(stack, stores, data, facts),
          },
        ],
        facts,
        false,
      );
    }
    return results;
  } finally {
    stores.close();
  }
}

import { randomBytes } from 'node:crypto';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { apps, uploadEvents } from '@stateless/topology';
import type { GeneratorConfig, LoadStep } from './generator.ts';
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

export type ScenarioName = 'mix' | 'scale' | 'pipeline' | 'ramp' | 'kill' | 'redis' | 'stepfunctions';
export const scenarioNames: ScenarioName[] = [
  'mix',
  'scale',
  'pipeline',
  'ramp',
  'kill',
  'redis',
  'stepfunctions',
];

export interface ScenarioOptions {
  scenarios: ScenarioName[];
  /**
   * Connections of the fixed-size scale-out (requests beyond its environments queue at the load
   * balancer). Where the scaler works, fewer: see `scalingConnections`.
   */
  connections: number;
  /** Seconds of each mixed-load phase (mix, kill, redis, stepfunctions). */
  durationSeconds: number;
  /** Seconds measured per environment count of both scale-outs (cached reads, pipeline). */
  scaleSeconds: number;
  /** Seconds of load before each scale-out step's measured seconds, left out of its figures. */
  warmupSeconds: number;
  scaleCounts: number[];
  /** Requests per second offered at each ramp step; empty: from the scale-out (see rampSteps). */
  ramp: number[];
  rampStepSeconds: number;
  /** Environments per app outside the fixed-size scale-out: the warm minimum and the concurrency limit. */
  minimum: number;
  limit: number;
  mix: Mix;
  owners: number;
  assetsPerOwner: number;
  /** Uploads in flight through the pipeline during each mixed phase (0: none). */
  uploadConcurrency: number;
}

/** What the fleet did during a phase: environments per app, cold starts, retirements, deaths, throttles. */
export interface FleetFacts {
  /** Per app: environments running on average and at most (sampled once a second), and each one's CPU cap. */
  environments: Record<string, { average: number; peak: number; cap: number | null }>;
  /** Seconds since the load started (negative: while the phase was being set up). */
  coldStarts: { t: number; app: string; ms: number }[];
  retired: { t: number; app: string }[];
  /** Environments that exited without being asked to (SIGKILLed): the scaler starts what the load then needs. */
  died: { t: number; app: string; name: string }[];
  /** 429s the load balancer answered beyond the concurrency limit, per app. */
  throttles: Record<string, number>;
}

export interface ScenarioResult extends PhaseResult {
  invariants: InvariantResult[];
  /** Figures particular to the scenario (instances, cache fill). */
  facts: Record<string, number | string>;
  fleet?: FleetFacts;
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

/**
 * Reads every hot asset once through the load balancer, `width` at a time (under the concurrency
 * limit: a throttled read caches nothing), so the cache holds them.
 */
async function warmCache(baseUrl: string, data: Dataset, width: number) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
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

/**
 * Connections where the scaler works: below the concurrency limit by what else calls the data
 * API meanwhile (each upload in flight: its client polling, and its pipeline creating the asset or
 * recording a result) and two more, so the load alone never reaches the limit and is never
 * throttled (429), as requests beyond the limit are in Lambda.
 */
export const scalingConnections = (o: Pick<ScenarioOptions, 'connections' | 'limit' | 'uploadConcurrency'>) =>
  Math.max(1, Math.min(o.connections, o.limit - 2 * o.uploadConcurrency - 2));

/** The ramp's shape: shares of its peak, up and back down. */
export const rampShape = [0.1, 0.3, 0.6, 1, 0.6, 0.3, 0.1];
/** The peak offered: this share of the cached reads measured at the concurrency limit. */
export const rampPeakShare = 0.7;
/** Cached reads per second one environment is assumed to serve when the scale-out did not run. */
const assumedPerEnvironment = 100;

/**
 * The ramp's steps: the rates given, or `rampShape` scaled so that its peak offers `rampPeakShare`
 * of the most cached reads the scale-out measured at a count within the limit (without a
 * scale-out, `assumedPerEnvironment` per environment up to the limit): the peak needs most of the
 * environments the machine can run, and none of the steps needs more than it has.
 */
export function rampSteps(
  options: Pick<ScenarioOptions, 'ramp' | 'rampStepSeconds' | 'limit'>,
  scaleOut: { instances: number; rate: number }[],
): LoadStep[] {
  if (options.ramp.length > 0)
    return options.ramp.map((rate) => ({ seconds: options.rampStepSeconds, rate }));
  const measured = scaleOut.filter((p) => p.instances <= options.limit).map((p) => p.rate);
  const capacity = measured.length > 0 ? Math.max(...measured) : assumedPerEnvironment * options.limit;
  const peak = capacity * rampPeakShare;
  return rampShape.map((share) => ({
    seconds: options.rampStepSeconds,
    rate: Math.max(10, Math.round((peak * share) / 10) * 10),
  }));
}

/** Uploads in flight at a pipeline step: enough that every worker environment always has a step to run. */
export const pipelineInFlight = (workers: number) => 2 * workers + 2;
/** The pipeline's image: a 6-megapixel photo, whose decoding and resizing is the worker's CPU work. */
export const pipelinePhoto = { width: 3000, height: 2000 };
/**
 * The pipeline's warm-up: twice the reads' (an execution takes seconds, a read milliseconds, and
 * the first executions of new worker environments run their code cold).
 */
export const pipelineWarmup = (o: Pick<ScenarioOptions, 'warmupSeconds'>) => 2 * o.warmupSeconds;
/** Environments of the other apps during the pipeline's scale-out (polls, signing, records). */
const pipelineAround = { 'data-api': 4, 'upload-service': 2 };

/**
 * Seconds a run of these options is expected to take, start to report: each phase's load plus
 * what it costs around the load (scaling, draining uploads, the invariants), calibrated on this
 * project's machine (2 cores). The help and the start of a run print it.
 */
export function plannedSeconds(options: Omit<ScenarioOptions, 'mix'>) {
  const has = (name: ScenarioName) => options.scenarios.includes(name);
  const steps = options.scaleCounts.length;
  const mixed = (['mix', 'kill', 'redis', 'stepfunctions'] as const).filter(has).length;
  return Math.round(
    // The stack, seeding (4 × 500 assets through moto) and the cache warm-up.
    60 +
      // Around each phase: the generator's start, scaling, the invariants (the first one reads
      // every seeded asset's objects, the others only what changed).
      mixed * (options.durationSeconds + 20) +
      // Step Functions restart: SQS redelivers the events it missed after its visibility timeout.
      (has('stepfunctions') ? uploadEvents.visibilityTimeoutSeconds + 30 : 0) +
      (has('scale') ? steps * (options.warmupSeconds + options.scaleSeconds + 12) : 0) +
      // Uploads in flight at the end of each step finish after it.
      (has('pipeline') ? steps * (pipelineWarmup(options) + options.scaleSeconds + 25) : 0) +
      // The ramp's timeline goes on until its environments have retired.
      (has('ramp') ? (options.ramp.length || rampShape.length) * options.rampStepSeconds + 40 : 0),
  );
}

/** What the fleet did between two times (Date.now()), with `timeline` sampled during the load. */
export function fleetFacts(
  metrics: {
    coldStarts: { at: number; app: string; ms: number }[];
    retired: { at: number; app: string }[];
    died: { at: number; app: string; name: string }[];
    throttles: Record<string, number>;
  },
  throttlesBefore: Record<string, number>,
  caps: Record<string, number | null>,
  timeline: PhaseResult['timeline'],
  window: { from: number; to: number; loadStartedAtMs: number },
): FleetFacts {
  const within = (at: number) => at >= window.from && at <= window.to;
  const t = (at: number) => Math.round((at - window.loadStartedAtMs) / 100) / 10;
  const environments: FleetFacts['environments'] = {};
  for (const [app, cap] of Object.entries(caps)) {
    const counts = timeline.map((s) => s.values[`${app} environments`] ?? 0);
    environments[app] = {
      average: Math.round((counts.reduce((a, b) => a + b, 0) / Math.max(1, counts.length)) * 100) / 100,
      peak: Math.max(0, ...counts),
      cap,
    };
  }
  return {
    environments,
    coldStarts: metrics.coldStarts
      .filter((c) => within(c.at))
      .map((c) => ({ t: t(c.at), app: c.app, ms: c.ms })),
    retired: metrics.retired.filter((r) => within(r.at)).map((r) => ({ t: t(r.at), app: r.app })),
    died: metrics.died.filter((d) => within(d.at)).map((d) => ({ t: t(d.at), app: d.app, name: d.name })),
    throttles: Object.fromEntries(
      Object.entries(metrics.throttles).map(([app, n]) => [app, n - (throttlesBefore[app] ?? 0)]),
    ),
  };
}

/** Runs the chosen scenarios on a stack started for the purpose, each followed by the invariants. */
export async function runScenarios(stack: LoadStack, options: ScenarioOptions) {
  const stores = openStores(stack.stores);
  const started = performance.now();
  const say = (what: string) => console.error(`[prepare] ${seconds(performance.now() - started)} s  ${what}`);
  try {
    say(`seeding ${options.owners} × ${options.assetsPerOwner} assets`);
    const data = await prepareDataset(stores, options, stack.userToken);
    // A running service's cache holds its hot assets: every one is read once first, or each phase's
    // first reads of the Zipf tail would wait on DynamoDB (here moto, one Python process). The cold
    // tail stays uncached: the `cold` kind measures that path.
    say(`reading the ${data.hot.length} hot assets once, into the cache`);
    await warmCache(stack.urls.public, data, scalingConnections(options));
    say('ready');
    const cpuRoots = { [process.pid]: 'load test driver (+ Step Functions server)' };
    const results: ScenarioResult[] = [];
    // READY assets whose S3 objects a check found, by version: looked up again only once changed.
    const verified = new Map<string, number>();
    const scaling = { min: options.minimum, max: options.limit };
    const generator = (
      mix: Mix,
      durationSeconds: number,
      uploads: number,
      more: Partial<GeneratorConfig> = {},
    ): GeneratorConfig => ({
      baseUrl: stack.urls.public,
      connections: scalingConnections(options),
      durationSeconds,
      mix,
      hot: data.hot,
      cold: data.coldTail(),
      edit: mix.patch > 0 ? data.edit : [],
      tokens: data.tokens,
      ...data.uploadLoad(uploads),
      ...more,
    });
    // Environments running per app, once a second, for every phase's timeline.
    const sample = () =>
      Object.fromEntries(apps.map((app) => [`${app} environments`, stack.running(app).length]));
    const phase = async (
      name: string,
      description: string,
      config: GeneratorConfig,
      actions: TimedAction[] = [],
      facts: Record<string, number | string> = {},
      settled?: () => boolean,
    ) => {
      const from = Date.now();
      const throttlesBefore = { ...stack.fleet.metrics().throttles };
      const result = await runPhase({
        name,
        description,
        generator: config,
        cpuRoots,
        actions,
        sample,
        ...(settled ? { settled } : {}),
      });
      const caps = Object.fromEntries(apps.map((app) => [app, stack.running(app)[0]?.cpu ?? null]));
      const fleet = fleetFacts(stack.fleet.metrics(), throttlesBefore, caps, result.timeline, {
        from,
        to: Date.now(),
        loadStartedAtMs: result.load.startedAtMs,
      });
      data.record(result);
      const invariants = await checkInvariants(stores, data.acknowledged, {
        uploads: data.uploadsToCheck(),
        verified,
      });
      const scenario: ScenarioResult = { ...result, invariants, facts, fleet };
      results.push(scenario);
      return scenario;
    };
    const mixed = (d: number, uploads = options.uploadConcurrency) => generator(options.mix, d, uploads);

    if (options.scenarios.includes('mix')) {
      await phase(
        'mix',
        `The realistic mix, every app scaling between ${options.minimum} and ${options.limit} environments.`,
        mixed(options.durationSeconds),
      );
    }
    const measure = options.warmupSeconds + options.scaleSeconds;
    if (options.scenarios.includes('scale')) {
      for (const count of options.scaleCounts) {
        await stack.app('data-api').scaleTo(count);
        await phase(
          `scale-${count}`,
          `Cached reads (Zipf over ${data.hot.length} assets) at exactly ${count} data-api environment(s), ${options.connections} connections (those beyond the environments wait in the load balancer's queue): ${options.warmupSeconds} s of warm-up, then ${options.scaleSeconds} s measured.`,
          generator(readOnlyMix, measure, 0, {
            warmupSeconds: options.warmupSeconds,
            connections: options.connections,
          }),
          [],
          { 'data-api environments': count },
        );
      }
      await stack.app('data-api').setPolicy(scaling);
    }
    if (options.scenarios.includes('pipeline')) {
      // The apps around the worker at a fixed size too (requests queue, none throttled): their
      // scaler's cold starts (a core each for a second or more) would land in the measured seconds.
      await Promise.all([
        stack.app('data-api').scaleTo(pipelineAround['data-api']),
        stack.app('upload-service').scaleTo(pipelineAround['upload-service']),
      ]);
      for (const count of options.scaleCounts) {
        await stack.app('workflow-worker').scaleTo(count);
        const inFlight = pipelineInFlight(count);
        const warmup = pipelineWarmup(options);
        await phase(
          `pipeline-${count}`,
          `Uploads of a ${pipelinePhoto.width} × ${pipelinePhoto.height} JPEG through the whole pipeline at exactly ${count} worker environment(s) (data-api ${pipelineAround['data-api']}, upload service ${pipelineAround['upload-service']}), ${inFlight} in flight, no other load: ${warmup} s of warm-up, then executions reaching READY counted for ${options.scaleSeconds} s.`,
          {
            ...generator(readOnlyMix, warmup + options.scaleSeconds, 0, { warmupSeconds: warmup }),
            connections: 0,
            ...(data.uploader
              ? { uploads: { ...data.uploader, concurrency: inFlight, photo: pipelinePhoto } }
              : {}),
          },
          [],
          { 'workflow-worker environments': count, 'uploads in flight': inFlight },
        );
      }
      await Promise.all(
        (['workflow-worker', 'data-api', 'upload-service'] as const).map((app) =>
          stack.app(app).setPolicy(scaling),
        ),
      );
    }
    if (options.scenarios.includes('ramp')) {
      const steps = rampSteps(options, scaleOutRates(results));
      await phase(
        'ramp',
        `Cached reads offered in steps of ${options.rampStepSeconds} s (${steps.map((s) => s.rate).join(', ')} req/s) over ${scalingConnections(options)} connections, data-api scaling between ${options.minimum} and ${options.limit} environments: the scaler adds one when every one is busy (a cold start) and retires those idle. The timeline goes on after the load until the warm minimum is all that runs.`,
        generator(
          readOnlyMix,
          steps.reduce((sum, s) => sum + s.seconds, 0),
          0,
          { steps },
        ),
        [],
        {},
        // Its timeline goes on until the data API is back at its warm minimum: the way down.
        () => stack.running('data-api').length <= options.minimum,
      );
    }
    if (options.scenarios.includes('kill')) {
      const d = options.durationSeconds;
      const facts: Record<string, string> = {};
      const actions: TimedAction[] = apps.map((app) => ({
        at: d / 3,
        what: `SIGKILL a ${app} environment (one of ${stack.running(app).length})`,
        run: async () => {
          const victim = await stack.app(app).kill();
          facts[`killed ${app}`] = `${victim.name} (pid ${victim.pid})`;
        },
      }));
      const result = await phase(
        'kill',
        'The mix while one environment of each app is SIGKILLed (no drain); the scaler, not a fixed count, starts what the load then needs.',
        mixed(d),
        actions,
        facts,
      );
      // The scaler replaces what the load or the warm minimum needs; a cold start can outlast a
      // short phase, so its replacements are waited for (bounded) and counted from the kill on.
      const deadline = Date.now() + 120_000;
      while (apps.some((app) => stack.running(app).length < options.minimum) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 250));
      const { coldStarts, died } = stack.fleet.metrics();
      for (const app of apps) {
        const killedAt = died.find((d) => d.app === app && d.at >= result.load.startedAtMs)?.at ?? Infinity;
        const after = coldStarts.filter((c) => c.app === app && c.at >= killedAt);
        result.facts[`${app} cold starts after the kill`] = after.length;
        result.facts[`${app} environments after the kill`] = stack.running(app).length;
        const first = after[0];
        if (first)
          result.facts[`${app}: a new environment serving, s after the kill`] = seconds(first.at - killedAt);
      }
    }
    if (options.scenarios.includes('redis')) {
      const d = options.durationSeconds;
      const redis = stack.cloud.redis;
      if (!redis) throw new Error('the redis scenario needs the stack to run its own Redis');
      const facts: Record<string, number> = {};
      const result = await phase(
        'redis',
        'The mix while Redis is stopped (an empty cache when it is back, as after a failover) and started again.',
        mixed(d),
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
        mixed(options.durationSeconds, 0),
        [
          {
            at: options.durationSeconds / 3,
            what: 'Step Functions server stopped with executions running; 3 uploads while down; started again',
            run: () => restartStepFunctions(stack, stores, data, facts),
          },
        ],
        facts,
      );
    }
    return results;
  } finally {
    stores.close();
  }
}

/** The cached-read rates the scale-out measured, by environment count. */
const scaleOutRates = (results: ScenarioResult[]) =>
  results
    .filter((r) => r.name.startsWith('scale-'))
    .map((r) => ({ instances: Number(r.name.slice('scale-'.length)), rate: r.load.totals.rps }));

/**
 * The load generator, run as its own process (so its CPU is measured apart from
 * everything else): autocannon's programmatic API with one dynamic request that
 * the RequestPlanner fills in. It reports one sample per second over IPC and a
 * summary at the end.
 */
import autocannon from 'autocannon';
import { type Kind, type PlanInput, type PlannedRequest, RequestPlanner, routeOf } from './mix.ts';
import { percentile } from './percentile.ts';
import { runUploads, type UploadLoadConfig, type UploadLoadResult } from './upload-load.ts';

/** One step of a ramp: this many requests per second offered (autocannon's overallRate) for `seconds`. */
export interface LoadStep {
  seconds: number;
  rate: number;
}

export interface GeneratorConfig extends Omit<PlanInput, 'random'> {
  baseUrl: string;
  /** Concurrent connections; 0: no requests, only the uploads (the pipeline's own measure). */
  connections: number;
  durationSeconds: number;
  /** Offered load in steps (a ramp), one after another; durationSeconds is then their sum. */
  steps?: LoadStep[];
  /**
   * The first seconds load the stack as the rest do but are left out of the totals and routes (the
   * per-second samples keep them): a new environment's first requests (JIT, cache connections) are
   * a warm-up, not its steady rate.
   */
  warmupSeconds?: number;
  /** Uploads through the pipeline alongside the requests; none when absent. */
  uploads?: UploadLoadConfig;
}

export interface SecondSample {
  /** Seconds since the generator started. */
  t: number;
  /** Requests per second offered in this second (a ramp's step), when the load is paced. */
  offered?: number;
  requests: number;
  /** Answers other than 2xx, plus connection errors and timeouts. */
  failed: number;
  status5xx: number;
  errors: number;
  p50: number;
  p95: number;
  p99: number;
  byKind: Partial<Record<Kind, number>>;
  cacheHits: number;
  cacheMisses: number;
  /** Uploads that reached READY in this second. */
  uploadsReady: number;
}

export interface RouteSummary {
  route: string;
  kind: Kind;
  requests: number;
  failed: number;
  statuses: Record<string, number>;
  cacheHits: number;
  cacheMisses: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** A ramp step as answered: its offered rate, and what came back while it ran. */
export interface StepSummary {
  rate: number;
  seconds: number;
  requests: number;
  rps: number;
  failed: number;
  p50: number;
  p99: number;
}

export interface GeneratorResult {
  seconds: SecondSample[];
  /** One per ramp step (absent without steps). */
  steps?: StepSummary[];
  routes: RouteSummary[];
  acknowledged: Record<string, number>;
  /** PATCHes applied once whose answer was lost to a killed instance (see RequestPlanner). */
  lostAnswers: number;
  /** The first few failed requests, for the report. */
  failures: string[];
  uploads?: UploadLoadResult;
  totals: {
    requests: number;
    failed: number;
    status5xx: number;
    errors: number;
    timeouts: number;
    rps: number;
    p50: number;
    p95: number;
    p99: number;
  };
  durationSeconds: number;
  /** Seconds the totals cover: the duration less the warm-up. */
  measuredSeconds: number;
  /** When the load started (Date.now()): what other clocks (the fleet's events) are aligned to. */
  startedAtMs: number;
  generatorCpuSeconds: number;
}

export type GeneratorMessage =
  | { type: 'started' }
  | { type: 'second'; sample: SecondSample }
  | { type: 'done'; result: GeneratorResult };

const round = (ms: number) => Math.round(ms * 100) / 100;

class Latencies {
  private values = new Float64Array(1024);
  length = 0;
  push(ms: number) {
    if (this.length === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.length++] = ms;
  }
  sorted() {
    return this.values.slice(0, this.length).sort();
  }
}

export async function generate(
  config: GeneratorConfig,
  onSecond: (sample: SecondSample) => void,
  /** Called as the load starts (the driver times its actions from here). */
  onStart: () => void = () => {},
) {
  const planner = new RequestPlanner(config);
  const cpuStart = process.cpuUsage();
  const routes = new Map<
    Kind,
    { latencies: Latencies; statuses: Record<string, number>; failed: number; hits: number; misses: number }
  >();
  const failures: string[] = [];
  const all = new Latencies();
  let second = newSecond(0);
  let secondLatencies = new Latencies();
  const seconds: SecondSample[] = [];
  let totalFailed = 0;
  let total5xx = 0;
  let totalErrors = 0;

  // autocannon calls onResponse and then emits 'response' synchronously for the same answer:
  // `answered` carries what onResponse learned to the 'response' handler, which has the latency.
  let answered:
    | { request: PlannedRequest; status: number; cache: string | undefined; problem: string | undefined }
    | undefined;

  const warmupMs = (config.warmupSeconds ?? 0) * 1000;
  let step = { latencies: new Latencies(), failed: 0 };
  const stepSummaries: StepSummary[] = [];
  let measuredRequests = 0;
  const started = performance.now();
  // One autocannon run per step (a ramp changes the offered rate between them), sharing every counter.
  const cannon = (seconds: number, rate?: number, connections = config.connections) => {
    let finished: (result: autocannon.Result) => void = () => {};
    let failed: (error: Error) => void = () => {};
    const done = new Promise<autocannon.Result>((resolve, reject) => {
      finished = resolve;
      failed = reject;
    });
    const instance = autocannon(
      {
        url: config.baseUrl,
        connections,
        duration: seconds,
        ...(rate ? { overallRate: rate } : {}),
        timeout: 10,
        requests: [
          {
            setupRequest: (request, context) => {
              const planned = planner.next();
              (context as { planned?: PlannedRequest }).planned = planned;
              return {
                ...request,
                method: planned.method,
                path: planned.path,
                headers: planned.headers,
                body: planned.body,
              };
            },
            onResponse: (status, body, context, headers) => {
              const request = (context as { planned: PlannedRequest }).planned;
              const headerMap = headers as Record<string, string | undefined>;
              const problem = planner.answered(request, status, headerMap, body);
              answered = { request, status, cache: headerMap['x-cache'], problem };
              if (problem && failures.length < 20) failures.push(problem);
            },
          },
        ],
      },
      (error, result) => (error ? failed(error) : finished(result)),
    );
    instance.on('response', onAnswer);
    // Connection errors and timeouts (autocannon reports both as reqError).
    instance.on('reqError', onError);
    return done;
  };

  function onAnswer(_client: unknown, status: number, _bytes: number, responseTime: number) {
    if (!answered) return;
    const { kind } = answered.request;
    const measured = performance.now() - started >= warmupMs;
    if (measured) {
      all.push(responseTime);
      measuredRequests++;
    }
    let route = routes.get(kind);
    if (!route) {
      route = { latencies: new Latencies(), statuses: {}, failed: 0, hits: 0, misses: 0 };
      routes.set(kind, route);
    }
    if (measured) {
      route.latencies.push(responseTime);
      route.statuses[status] = (route.statuses[status] ?? 0) + 1;
    }
    secondLatencies.push(responseTime);
    step.latencies.push(responseTime);
    second.requests++;
    second.byKind[kind] = (second.byKind[kind] ?? 0) + 1;
    if (answered.cache === 'hit') {
      route.hits++;
      second.cacheHits++;
    } else if (answered.cache === 'miss') {
      route.misses++;
      second.cacheMisses++;
    }
    if (answered.problem) {
      step.failed++;
      route.failed++;
      second.failed++;
      totalFailed++;
    }
    if (status >= 500) {
      second.status5xx++;
      total5xx++;
    }
    answered = undefined;
  }
  function onError(error: Error) {
    step.failed++;
    second.errors++;
    second.failed++;
    totalErrors++;
    totalFailed++;
    if (failures.length < 20) failures.push(`request error: ${error.message}`);
  }

  const startedAtMs = Date.now();
  onStart();
  const steps = config.steps ?? [{ seconds: config.durationSeconds, rate: 0 }];
  let offered: number | undefined;
  const tick = setInterval(() => {
    const sorted = secondLatencies.sorted();
    Object.assign(second, {
      p50: round(percentile(sorted, 50)),
      p95: round(percentile(sorted, 95)),
      p99: round(percentile(sorted, 99)),
      ...(offered ? { offered } : {}),
    });
    seconds.push(second);
    onSecond(second);
    second = newSecond(Math.round((performance.now() - started) / 1000));
    secondLatencies = new Latencies();
  }, 1000);

  let loadOver = false;
  const uploads = config.uploads
    ? runUploads(
        config.baseUrl,
        config.uploads,
        () => loadOver,
        () => second.uploadsReady++,
      )
    : undefined;
  let timeouts = 0;
  try {
    for (const { seconds, rate } of steps) {
      offered = rate || undefined;
      step = { latencies: new Latencies(), failed: 0 };
      const stepStarted = performance.now();
      if (config.connections === 0) await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      else if (!rate) timeouts += (await cannon(seconds)).timeouts;
      else {
        // Paced: one connection per lane, each at its share of the rate, the lanes started 1/rate
        // apart, so requests arrive evenly spaced. One autocannon with every connection paced
        // fires them all on the same tick: bursts as wide as the connections, which keep that
        // many environments busy at any rate.
        const lanes = await Promise.all(
          Array.from({ length: config.connections }, async (_, lane) => {
            await new Promise((resolve) => setTimeout(resolve, (lane * 1000) / rate));
            return cannon(seconds, rate / config.connections, 1);
          }),
        );
        for (const lane of lanes) timeouts += lane.timeouts;
      }
      const sorted = step.latencies.sorted();
      stepSummaries.push({
        rate,
        seconds,
        requests: sorted.length,
        rps: Math.round(sorted.length / ((performance.now() - stepStarted) / 1000)),
        failed: step.failed,
        p50: round(percentile(sorted, 50)),
        p99: round(percentile(sorted, 99)),
      });
    }
  } finally {
    loadOver = true;
  }
  clearInterval(tick);
  const elapsed = (performance.now() - started) / 1000;
  const measuredSeconds = Math.max(0.001, elapsed - warmupMs / 1000);
  // Uploads in flight finish after the requests stop (bounded by their wait for READY).
  const uploadResult = await uploads;
  const sortedAll = all.sorted();
  const cpu = process.cpuUsage(cpuStart);
  const generatorResult: GeneratorResult = {
    seconds,
    ...(config.steps ? { steps: stepSummaries } : {}),
    routes: [...routes].map(([kind, r]) => {
      const sorted = r.latencies.sorted();
      const sum = sorted.reduce((a, b) => a + b, 0);
      return {
        route: routeOf[kind],
        kind,
        requests: sorted.length,
        failed: r.failed,
        statuses: r.statuses,
        cacheHits: r.hits,
        cacheMisses: r.misses,
        mean: round(sum / Math.max(1, sorted.length)),
        p50: round(percentile(sorted, 50)),
        p95: round(percentile(sorted, 95)),
        p99: round(percentile(sorted, 99)),
        max: round(sorted[sorted.length - 1] ?? 0),
      };
    }),
    acknowledged: planner.acknowledged,
    lostAnswers: planner.lostAnswers,
    failures,
    ...(uploadResult ? { uploads: uploadResult } : {}),
    totals: {
      requests: sortedAll.length,
      failed: totalFailed,
      status5xx: total5xx,
      errors: totalErrors - timeouts,
      timeouts,
      rps: Math.round(measuredRequests / measuredSeconds),
      p50: round(percentile(sortedAll, 50)),
      p95: round(percentile(sortedAll, 95)),
      p99: round(percentile(sortedAll, 99)),
    },
    durationSeconds: Math.round(elapsed * 10) / 10,
    measuredSeconds: Math.round(measuredSeconds * 10) / 10,
    startedAtMs,
    generatorCpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
  return generatorResult;
}

function newSecond(t: number): SecondSample {
  return {
    t,
    requests: 0,
    failed: 0,
    status5xx: 0,
    errors: 0,
    p50: 0,
    p95: 0,
    p99: 0,
    byKind: {},
    cacheHits: 0,
    cacheMisses: 0,
    uploadsReady: 0,
  };
}

// As a child process: the config comes as the first IPC message, samples and the result go back.
if (process.send && process.argv.includes('--child')) {
  process.once('message', async (config: GeneratorConfig) => {
    const send = (message: GeneratorMessage) => process.send?.(message);
    const result = await generate(
      config,
      (sample) => send({ type: 'second', sample }),
      () => send({ type: 'started' }),
    );
    send({ type: 'done', result });
    process.disconnect();
  });
}

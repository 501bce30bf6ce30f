/** `pnpm loadtest`'s options: their defaults, their help, and how long a run of them takes. */
import { parseArgs } from 'node:util';
import { defaultMix, parseMix } from './mix.ts';
import {
  plannedSeconds,
  rampPeakShare,
  rampShape,
  type ScenarioName,
  type ScenarioOptions,
  scalingConnections,
  scenarioNames,
} from './scenarios.ts';

export const optionSpec = {
  scenarios: { type: 'string', default: scenarioNames.join(',') },
  duration: { type: 'string', default: '20' },
  scale: { type: 'string', default: '1,2,4,8' },
  'scale-duration': { type: 'string', default: '15' },
  warmup: { type: 'string', default: '5' },
  ramp: { type: 'string', default: '' },
  'ramp-step': { type: 'string', default: '10' },
  minimum: { type: 'string', default: '2' },
  limit: { type: 'string', default: '16' },
  connections: { type: 'string', default: '32' },
  mix: { type: 'string' },
  owners: { type: 'string', default: '4' },
  assets: { type: 'string', default: '500' },
  uploads: { type: 'string', default: '2' },
  target: { type: 'string' },
  url: { type: 'string' },
  token: { type: 'string' },
  out: { type: 'string' },
  name: { type: 'string', default: 'loadtest' },
  picture: { type: 'boolean' },
  chromium: { type: 'string', default: 'chromium' },
  help: { type: 'boolean', short: 'h' },
} as const;

const integer = (name: string, text: string, min: number) => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`--${name} must be an integer of at least ${min}, not "${text}"`);
  return value;
};
const list = (name: string, text: string) => (text ? text.split(',').map((n) => integer(name, n, 1)) : []);

export function parseOptions(args: string[]) {
  const { values } = parseArgs({ args, options: optionSpec });
  const scenarios = values.scenarios.split(',').map((s) => {
    if (!scenarioNames.includes(s as ScenarioName)) throw new Error(`--scenarios: unknown "${s}"`);
    return s as ScenarioName;
  });
  const options: ScenarioOptions = {
    scenarios,
    connections: integer('connections', values.connections, 1),
    durationSeconds: integer('duration', values.duration, 1),
    scaleSeconds: integer('scale-duration', values['scale-duration'], 1),
    warmupSeconds: integer('warmup', values.warmup, 0),
    scaleCounts: list('scale', values.scale),
    ramp: list('ramp', values.ramp),
    rampStepSeconds: integer('ramp-step', values['ramp-step'], 1),
    minimum: integer('minimum', values.minimum, 1),
    limit: integer('limit', values.limit, 1),
    mix: values.mix ? parseMix(values.mix) : defaultMix,
    owners: integer('owners', values.owners, 1),
    assetsPerOwner: integer('assets', values.assets, 1),
    uploadConcurrency: integer('uploads', values.uploads, 0),
  };
  if (options.minimum > options.limit) throw new Error('--minimum must not be above --limit');
  return { values, options };
}

/** "12 min", "45 s": how long something takes, as the help and the start of a run say it. */
export const spoken = (seconds: number) =>
  seconds < 90 ? `${Math.round(seconds)} s` : `${Math.round(seconds / 60)} min`;

/** The line a run prints when it starts: when it should end. */
export function expectedEnd(now: Date, seconds: number) {
  const end = new Date(now.getTime() + seconds * 1000);
  return `expected to take about ${spoken(seconds)}: done around ${end.toISOString().slice(11, 19)} UTC`;
}

export function helpText() {
  const { options } = parseOptions([]);
  const d = optionSpec;
  return `pnpm loadtest [options]

The default run (every scenario on a stack of its own) takes about ${spoken(plannedSeconds(options))}
on a 2-core machine; a run prints when it expects to end.

  --scenarios LIST      ${scenarioNames.join(',')} (default: all)
  --duration S          seconds of each mixed phase (default ${d.duration.default})
  --scale LIST          environment counts of both scale-outs, cached reads on data-api and
                        executions on the worker (default ${d.scale.default})
  --scale-duration S    seconds measured per count (default ${d['scale-duration'].default}), after
  --warmup S            seconds of the same load first, left out of the figures (default ${d.warmup.default};
                        the pipeline's twice that)
  --ramp LIST           req/s offered per ramp step (default: ${rampShape.length} steps up and back down to
                        ${Math.round(rampPeakShare * 100)} % of the most cached reads the scale-out measured)
  --ramp-step S         seconds per ramp step (default ${d['ramp-step'].default})
  --minimum N           environments each app keeps warm (default ${d.minimum.default})
  --limit N             each app's concurrency limit: the most environments, 429 beyond;
                        at most 16, the load balancer's slots per app (default ${d.limit.default})
  --connections N       concurrent connections of the scale-out, whose fixed environments
                        queue the rest (default ${d.connections.default}); where the scaler works, as many as
                        stay under the limit beside the uploads (default ${scalingConnections(options)})
  --mix K=W,...         weights of get, cold, list, patch (default get=88,cold=1,list=6,patch=5)
  --owners N --assets N users, and seeded assets per user (default ${d.owners.default} × ${d.assets.default})
  --uploads N           small image uploads in flight through the pipeline during each
                        mixed phase, each checked to READY (default ${d.uploads.default}; 0: none)
  --target FILE         run the mix against a running \`pnpm dev\` (its .local/stack.json)
  --url URL --token T   run a read-only mix against any deployment, with that user's assets
  --out DIR --name N    where the report goes (default reports/loadtest.{json,html})
  --picture             also a PNG of the report's first screen, with headless chromium
  --chromium PATH       the browser for --picture (default: chromium on PATH, Debian's package)`;
}

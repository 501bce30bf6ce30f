/**
 * `pnpm loadtest`: the whole system under a realistic load, the scale-out and
 * the chaos scenarios, ending in a report under reports/.
 *
 *   pnpm loadtest                               every scenario on a stack of its own
 *   pnpm loadtest --scenarios mix,redis --duration 20 --connections 16
 *   pnpm loadtest --target .local/stack.json   the mix against a running `pnpm dev`
 *   pnpm loadtest --url http://host --token T  read-only mix against any deployment
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { defaultMix, parseMix } from './mix.ts';
import { buildReport, describeMachine, describeRun, writeReport } from './report.ts';
import { runScenarios, type ScenarioName, type ScenarioOptions, scenarioNames } from './scenarios.ts';
import { LoadStack, repoRoot } from './stack.ts';
import { runAgainst } from './target.ts';

const { values } = parseArgs({
  options: {
    scenarios: { type: 'string', default: scenarioNames.join(',') },
    duration: { type: 'string', default: '30' },
    'scale-duration': { type: 'string', default: '20' },
    scale: { type: 'string', default: '1,2,4' },
    connections: { type: 'string', default: '64' },
    mix: { type: 'string' },
    owners: { type: 'string', default: '4' },
    assets: { type: 'string', default: '500' },
    uploads: { type: 'string', default: '2' },
    target: { type: 'string' },
    url: { type: 'string' },
    token: { type: 'string' },
    out: { type: 'string', default: join(repoRoot, 'reports') },
    name: { type: 'string', default: 'loadtest' },
    picture: { type: 'boolean' },
    chromium: { type: 'string', default: 'chromium' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(`pnpm loadtest [options]
  --scenarios LIST      ${scenarioNames.join(',')} (default: all; on a stack of its own)
  --duration S          seconds of each mixed phase (default 30)
  --scale LIST          data-api instance counts of the scale-out (default 1,2,4)
  --scale-duration S    seconds per instance count (default 20)
  --connections N       concurrent connections (default 64)
  --mix K=W,...         weights of get, cold, list, patch (default get=88,cold=1,list=6,patch=5)
  --owners N --assets N users, and seeded assets per user (default 4 × 500)
  --uploads N           small image uploads in flight through the pipeline during each
                        mixed phase, each checked to READY (default 2; 0: none)
  --target FILE         run the mix against a running \`pnpm dev\` (its .local/stack.json)
  --url URL --token T   run a read-only mix against any deployment, with that user's assets
  --out DIR --name N    where the report goes (default reports/loadtest.{json,html})
  --picture             also a PNG of the report's first screen, with headless chromium
  --chromium PATH       the browser for --picture (default: chromium on PATH, Debian's package)`);
  process.exit(0);
}

const integer = (name: string, text: string, min: number) => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`--${name} must be an integer of at least ${min}, not "${text}"`);
  return value;
};
const positive = (name: string, text: string) => integer(name, text, 1);
const scenarios = (values.scenarios as string).split(',').map((s) => {
  if (!scenarioNames.includes(s as ScenarioName)) throw new Error(`--scenarios: unknown "${s}"`);
  return s as ScenarioName;
});
const options: ScenarioOptions = {
  scenarios,
  connections: positive('connections', values.connections as string),
  durationSeconds: positive('duration', values.duration as string),
  scaleSeconds: positive('scale-duration', values['scale-duration'] as string),
  scaleCounts: (values.scale as string).split(',').map((n) => positive('scale', n)),
  mix: values.mix ? parseMix(values.mix) : defaultMix,
  owners: positive('owners', values.owners as string),
  assetsPerOwner: positive('assets', values.assets as string),
  uploadConcurrency: integer('uploads', values.uploads as string, 0),
};

const machine = describeMachine();
const run = describeRun();
const notes: string[] = [];
let results: Awaited<ReturnType<typeof runScenarios>>;
if (values.target || values.url) {
  results = await runAgainst(
    {
      ...options,
      target: values.target,
      url: values.url,
      token: values.token,
      explicitMix: values.mix !== undefined,
    },
    notes,
  );
} else {
  console.error('starting the stack (local cloud, 2 instances of each app, HAProxy)…');
  const stack = await LoadStack.start({
    instances: { 'upload-service': 2, 'data-api': 2, 'workflow-worker': 2 },
    logDir: join(repoRoot, '.local', 'loadtest', 'logs'),
    // High enough that the per-user limit never answers 429 here; it still counts every request.
    // Cached entries live for the whole run (the default is 60 s), so the scale-out's warmed cache
    // still holds in its last phase.
    appEnv: { RATE_LIMIT_PER_MINUTE: '100000000', CACHE_TTL_SECONDS: '3600' },
  });
  // The stack's processes outlive this one unless stopped: stop them on Ctrl-C or a kill too.
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(signal, () => void stack.stop().then(() => process.exit(code)));
  }
  try {
    results = await runScenarios(stack, options);
  } finally {
    await stack.stop();
  }
}
const report = buildReport(
  'Stateless stack: load, scale-out and chaos',
  machine,
  { ...options },
  results,
  notes,
  run,
);
const files = writeReport(report, values.out as string, values.name as string);
if (values.picture) {
  const png = files.html.replace(/\.html$/, '.png');
  // Debian's chromium, headless: the page is self-contained, so nothing is fetched.
  execFileSync(
    values.chromium as string,
    [
      '--headless',
      '--no-sandbox',
      '--hide-scrollbars',
      '--window-size=1240,1600',
      `--screenshot=${png}`,
      pathToFileURL(files.html).href,
    ],
    { stdio: 'ignore' },
  );
  console.log(`picture: ${png}`);
}
for (const s of report.scenarios) {
  const t = s.load.totals;
  const broken = s.invariants.filter((i) => !i.ok).map((i) => i.name);
  const u = s.load.uploads;
  const uploads = u ? `  uploads ${u.ready}/${u.acknowledged.length} READY (p50 ${u.p50} ms)` : '';
  console.log(
    `${s.name.padEnd(10)} ${String(t.rps).padStart(6)} req/s  p50 ${t.p50} ms  p99 ${t.p99} ms  failed ${t.failed}  5xx ${t.status5xx}${uploads}  invariants ${broken.length ? `BROKEN: ${broken.join('; ')}` : 'ok'}`,
  );
}
console.log(`report: ${files.html}\n        ${files.json}`);
process.exit(report.passed ? 0 : 1);

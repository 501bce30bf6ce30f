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
import { executionsPerSecond } from './figures.ts';
import { expectedEnd, helpText, parseOptions } from './options.ts';
import { buildReport, describeMachine, describeRun, writeReport } from './report.ts';
import { plannedSeconds, runScenarios } from './scenarios.ts';
import { everyApp, LoadStack, repoRoot } from './stack.ts';
import { runAgainst } from './target.ts';

const { values, options } = parseOptions(process.argv.slice(2));
if (values.help) {
  console.log(helpText());
  process.exit(0);
}

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
  console.error(expectedEnd(new Date(), plannedSeconds(options)));
  console.error(
    `starting the stack (local cloud, HAProxy, each app's environments between ${options.minimum} and ${options.limit})…`,
  );
  const stack = await LoadStack.start({
    policies: everyApp({ min: options.minimum, max: options.limit }),
    logDir: join(repoRoot, '.local', 'loadtest', 'logs'),
    // Retired quickly, so the ramp's way down shows environments leaving within its steps.
    idleMs: 5_000,
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
const files = writeReport(report, values.out ?? join(repoRoot, 'reports'), values.name);
if (values.picture) {
  const png = files.html.replace(/\.html$/, '.png');
  // Debian's chromium, headless: the page is self-contained, so nothing is fetched.
  execFileSync(
    values.chromium,
    [
      '--headless',
      '--no-sandbox',
      '--hide-scrollbars',
      '--window-size=1240,2300',
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
  // Only what the phase did: a pipeline step sends no requests, it counts executions.
  const requests =
    s.config.connections > 0
      ? `${String(t.rps).padStart(6)} req/s  p50 ${t.p50} ms  p99 ${t.p99} ms  failed ${t.failed}  5xx ${t.status5xx}`
      : `${String(executionsPerSecond(s)).padStart(6)} executions/s`;
  console.log(
    `${s.name.padEnd(13)} ${requests}${uploads}  invariants ${broken.length ? `BROKEN: ${broken.join('; ')}` : 'ok'}`,
  );
}
for (const note of report.notes) console.log(`- ${note}`);
console.log(`report: ${files.html}\n        ${files.json}`);
process.exit(report.passed ? 0 : 1);

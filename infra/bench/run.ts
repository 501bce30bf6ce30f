/**
 * `pnpm bench` for infra: how long a full synth and a typecheck take on this machine,
 * each beside a baseline measured in the same run, so the ratio says what our stacks
 * cost over cdktn and the AWS provider themselves. Targets (issue 8): full synth under
 * 15 s, typecheck under 10 s. Writes bench/REPORT.md.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';

const infra = join(import.meta.dirname, '..');
const runs = Number(process.env.BENCH_RUNS ?? 3);

/** Median wall time of `runs` runs of a command, in ms; any failed run aborts the bench. */
function time(command: string, args: string[], env: Record<string, string> = {}): number {
  const samples: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const started = performance.now();
    const result = spawnSync(command, args, {
      cwd: infra,
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stderr}`);
    samples.push(performance.now() - started);
  }
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)] ?? 0;
}

// Inside infra/, so the baseline resolves cdktn and the provider as our code does.
const scratch = mkdtempSync(join(infra, '.bench-'));
try {
  // The baseline app: one stack with the AWS provider, what every cdktn synth pays.
  const baselineApp = join(scratch, 'baseline.ts');
  writeFileSync(
    baselineApp,
    `import { App, TerraformStack } from 'cdktn';
import { AwsProvider } from '@cdktn/provider-aws/lib/provider/index.js';
const app = new App();
new AwsProvider(new TerraformStack(app, 'baseline'), 'aws', { region: 'us-east-1' });
app.synth();
`,
  );
  const baselineTsconfig = join(scratch, 'tsconfig.json');
  writeFileSync(
    baselineTsconfig,
    JSON.stringify({
      extends: join(infra, 'tsconfig.json'),
      include: [],
      files: [baselineApp],
    }),
  );
  const node = process.execPath;
  const tsx = ['--import', 'tsx'];
  const synth = (stage: string) =>
    time(node, [...tsx, 'main.ts'], { STAGE: stage, CDKTF_OUTDIR: join(scratch, `out-${stage}`) });
  const results = {
    synthDev: synth('dev'),
    synthProd: synth('prod'),
    synthBaseline: time(node, [...tsx, baselineApp], { CDKTF_OUTDIR: join(scratch, 'out-baseline') }),
    typecheck: time(join(infra, 'node_modules/.bin/tsc'), ['--noEmit', '-p', '.']),
    typecheckBaseline: time(join(infra, 'node_modules/.bin/tsc'), ['--noEmit', '-p', baselineTsconfig]),
  };
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const ratio = (ours: number, base: number) => (ours / base).toFixed(2);
  const fullSynth = results.synthDev + results.synthProd;
  const report = `# infra benchmark

Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}; median of ${runs} runs, each a fresh process (\`node --import tsx main.ts\`, as \`pnpm run synth\` runs it).

| What | Ours | Baseline (one stack, AWS provider) | Ratio | Target |
|---|---|---|---|---|
| synth, dev (5 stacks) | ${seconds(results.synthDev)} | ${seconds(results.synthBaseline)} | ${ratio(results.synthDev, results.synthBaseline)} | |
| synth, prod (5 stacks) | ${seconds(results.synthProd)} | ${seconds(results.synthBaseline)} | ${ratio(results.synthProd, results.synthBaseline)} | |
| full synth (dev + prod) | ${seconds(fullSynth)} | | | under 15 s: ${fullSynth < 15_000 ? 'met' : 'NOT met'} |
| typecheck (\`tsc --noEmit\`, src + tests) | ${seconds(results.typecheck)} | ${seconds(results.typecheckBaseline)} | ${ratio(results.typecheck, results.typecheckBaseline)} | under 10 s: ${results.typecheck < 10_000 ? 'met' : 'NOT met'} |

Most of a synth is loading cdktn and the provider's generated classes (the baseline); the
ratio is what our constructs add. The typecheck baseline is the provider's declarations alone.
`;
  const reportFile = process.env.BENCH_REPORT ?? join(import.meta.dirname, 'REPORT.md');
  writeFileSync(reportFile, report);
  // The report is checked by the package's lint like any file; a copy elsewhere is left as written.
  if (reportFile.startsWith(infra)) {
    execFileSync(join(infra, 'node_modules/.bin/biome'), ['format', '--write', reportFile], {
      stdio: 'ignore',
    });
  }
  console.log(report);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

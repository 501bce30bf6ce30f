import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeMajor } from '../src/node-runtime.ts';
import { stackNames } from './synth.ts';

const infra = join(import.meta.dirname, '..');
const scratch = mkdtempSync(join(tmpdir(), 'infra-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// Every Node process a command starts (pnpm, the CLI, the app it runs) appends its version here.
const nodeVersionsLog = join(scratch, 'node-versions.log');
const recordNodeVersion = join(scratch, 'record-node-version.cjs');
writeFileSync(
  recordNodeVersion,
  `require('node:fs').appendFileSync(${JSON.stringify(nodeVersionsLog)}, process.versions.node + ' ' + process.argv[1] + '\\n');`,
);

// Deploy must stop where it needs Terraform, whether or not this machine has one installed.
const pathWithoutTerraform = [
  dirname(process.execPath),
  ...(process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => !['terraform', 'tofu'].some((binary) => existsSync(join(dir, binary)))),
].join(delimiter);

function pnpm(args: string[], env: Record<string, string> = {}) {
  rmSync(nodeVersionsLog, { force: true });
  const run = spawnSync('pnpm', args, {
    cwd: infra,
    encoding: 'utf8',
    timeout: 240_000,
    env: {
      ...process.env,
      PATH: pathWithoutTerraform,
      CHECKPOINT_DISABLE: '1',
      NODE_OPTIONS: `--require ${recordNodeVersion}`,
      ...env,
    },
  });
  const nodeProcesses = readFileSync(nodeVersionsLog, 'utf8')
    .trim()
    .split('\n')
    .map((line) => ({ major: Number(line.split('.')[0]), script: line.slice(line.indexOf(' ') + 1) }));
  return { status: run.status, output: `${run.stdout}${run.stderr}`, nodeProcesses };
}

const stackFiles = (outdir: string) =>
  Object.fromEntries(
    readdirSync(join(outdir, 'stacks'))
      .sort()
      .map((name) => [name, readFileSync(join(outdir, 'stacks', name, 'cdk.tf.json'), 'utf8')]),
  );

const testedMajor = Number(process.versions.node.split('.')[0]);

describe('the cdktn CLI', () => {
  it('`cdktn synth` runs on the tests’ Node major (the CLI and the app it starts) and writes the same five stacks, byte for byte, as `pnpm run synth`', {
    timeout: 300_000,
  }, () => {
    const viaCli = join(scratch, 'cli');
    const viaScript = join(scratch, 'script');
    const cli = pnpm(['exec', 'cdktn', 'synth', '--output', viaCli]);
    expect(cli.status, cli.output).toBe(0);
    expect(cli.output).not.toMatch(/MODULE_NOT_FOUND|Cannot find module/);

    expect(testedMajor).toBe(nodeMajor);
    expect(cli.nodeProcesses.map(({ major }) => major)).toEqual(cli.nodeProcesses.map(() => nodeMajor));
    expect(cli.nodeProcesses.some(({ script }) => script.includes('cdktn-cli'))).toBe(true);
    // The app command of cdktf.json is the package's synth script: tsx runs main.ts.
    expect(cli.nodeProcesses.some(({ script }) => script.includes('tsx'))).toBe(true);

    const script = pnpm(['run', 'synth'], { CDKTF_OUTDIR: viaScript });
    expect(script.status, script.output).toBe(0);
    const fromCli = stackFiles(viaCli);
    expect(Object.keys(fromCli)).toEqual([...stackNames].sort());
    expect(fromCli).toEqual(stackFiles(viaScript));
  });

  it('`pnpm run deploy platform` with no terraform or tofu on PATH synthesizes the stacks on the tests’ Node major, then stops with the CLI’s own "Terraform CLI not present" (exit 1)', {
    timeout: 300_000,
  }, () => {
    // platform has no package to build (an app's stack first needs its zip: deploy-packages.test.ts).
    const outdir = join(scratch, 'deploy');
    const deploy = pnpm(['run', 'deploy', 'platform', '--output', outdir]);
    expect(deploy.status, deploy.output).toBe(1);
    expect(deploy.output).toContain('Terraform CLI not present - Please install a current version');
    expect(deploy.output).not.toMatch(/MODULE_NOT_FOUND|Cannot find module/);
    expect(deploy.nodeProcesses.map(({ major }) => major)).toEqual(deploy.nodeProcesses.map(() => nodeMajor));
    expect(Object.keys(stackFiles(outdir))).toEqual([...stackNames].sort());
  });
});

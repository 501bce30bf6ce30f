import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stackNames } from './synth.ts';

const outdir = mkdtempSync(join(tmpdir(), 'infra-script-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('package scripts', () => {
  it('`pnpm run synth` succeeds quietly: no [ERROR] lines, every stack written', { timeout: 120_000 }, () => {
    // CDKTF_OUTDIR is how the App is told where to write (the CLI sets it too; cdktn kept cdktf's names).
    const run = spawnSync('pnpm', ['run', 'synth'], {
      cwd: join(import.meta.dirname, '..'),
      env: { ...process.env, CDKTF_OUTDIR: outdir },
      encoding: 'utf8',
    });
    const output = `${run.stdout}${run.stderr}`;
    expect(run.status, output).toBe(0);
    expect(output).not.toMatch(/error/i);
    expect(readdirSync(join(outdir, 'stacks')).sort()).toEqual([...stackNames].sort());
    // It says what it wrote and where.
    expect(output).toContain(
      `Synthesized the dev stacks ${stackNames.join(', ')} into ${outdir}/stacks/<stack>/cdk.tf.json`,
    );
  });
});

import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyCheckout } from './checkout-copy.ts';
import { stackNames } from './synth.ts';

const scratch = mkdtempSync(join(tmpdir(), 'infra-portable-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** `pnpm run synth` (tsx main.ts) in a checkout's infra/, into its own cdktf.out. */
const { CDKTF_OUTDIR: _outdir, ...environment } = process.env;
const synth = (checkout: string) =>
  new Promise<string>((resolve, reject) => {
    const run = spawn(process.execPath, ['--import', 'tsx', 'main.ts'], {
      cwd: join(checkout, 'infra'),
      env: { ...environment, STAGE: 'dev' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    run.stdout.on('data', (d) => (output += d));
    run.stderr.on('data', (d) => (output += d));
    run.on('exit', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`synth exit ${code}:\n${output}`)),
    );
  });

/** Every file of an output directory, by path relative to it. */
const filesOf = (dir: string): Record<string, string> =>
  Object.fromEntries(
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name))
      .sort()
      .map((file) => [relative(dir, file), readFileSync(file, 'utf8')]),
  );

describe('the synthesized stacks', () => {
  it('are byte-identical from two checkouts in folders of other names and depths', {
    timeout: 300_000,
  }, async () => {
    const one = copyCheckout(join(scratch, 'stateless-stack'));
    const other = copyCheckout(join(scratch, 'elsewhere', 'a-fork-of-it'));
    await Promise.all([synth(one), synth(other)]);
    const [fromOne, fromOther] = [
      filesOf(join(one, 'infra/cdktf.out')),
      filesOf(join(other, 'infra/cdktf.out')),
    ];
    expect(Object.keys(fromOne)).toEqual(
      expect.arrayContaining(stackNames.map((name) => join('stacks', name, 'cdk.tf.json'))),
    );
    expect(fromOther).toEqual(fromOne);
    // No path of either machine: the packages and state files are named from each stack's folder.
    for (const text of Object.values(fromOne)) {
      expect(text).not.toContain(scratch);
      expect(text).not.toContain(join(import.meta.dirname, '../..'));
    }
    const dataApi = JSON.parse(fromOne['stacks/data-api/cdk.tf.json'] as string);
    const [fn] = Object.values(dataApi.resource.aws_lambda_function) as { filename: string }[];
    expect(fn?.filename).toBe('../../../../apps/data-api/dist/lambda.zip');
  });
});

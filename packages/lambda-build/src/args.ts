import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { deployedArchitecture } from './deployment.ts';

export const usage =
  'usage: lambda-build [--entry <file>] [--external <package>]... [--arch arm64|x86_64|host] ' +
  '[--out-dir <dir>] [--no-minify]';

/** `lambda-build`'s command line (its arguments after the program's name). */
export const parseBuildArgs = (args: string[]) =>
  parseArgs({
    args,
    options: {
      entry: { type: 'string' },
      external: { type: 'string', multiple: true, default: [] },
      arch: { type: 'string', default: deployedArchitecture },
      'out-dir': { type: 'string' },
      'no-minify': { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  }).values;

/**
 * The packages an app's Lambda build leaves external, read from its `build` script
 * (`lambda-build --external sharp`), where they are written once: whatever else bundles the app
 * for Node (the local cloud's environments) leaves out the same ones.
 */
export async function appExternals(appDir: string): Promise<string[]> {
  const pkg = JSON.parse(await readFile(join(appDir, 'package.json'), 'utf8'));
  const [program, ...args] = String(pkg.scripts?.build ?? '')
    .split(/\s+/)
    .filter(Boolean);
  if (program !== 'lambda-build') throw new Error(`${appDir}: its build script is not lambda-build`);
  return parseBuildArgs(args).external;
}

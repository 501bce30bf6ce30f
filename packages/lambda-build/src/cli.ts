/**
 * `lambda-build [--entry src/lambda.ts] [--external <package>]... [--arch arm64|x86_64|host]
 * [--out-dir dist] [--no-minify]`, run in the app's directory (its `build` script).
 * The architecture defaults to the one infra deploys.
 */
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { buildLambda } from './build.ts';
import { deployedArchitecture, hostArchitecture, lambdaArchitectures } from './deployment.ts';

const usage =
  'usage: lambda-build [--entry <file>] [--external <package>]... [--arch arm64|x86_64|host] ' +
  '[--out-dir <dir>] [--no-minify]';

function architectureOf(name: string) {
  if (name === 'host') return hostArchitecture();
  if (Object.hasOwn(lambdaArchitectures, name)) return name as keyof typeof lambdaArchitectures;
  throw new Error(`--arch ${name}: use one of ${[...Object.keys(lambdaArchitectures), 'host'].join(', ')}`);
}

try {
  const { values } = parseArgs({
    options: {
      entry: { type: 'string' },
      external: { type: 'string', multiple: true, default: [] },
      arch: { type: 'string', default: deployedArchitecture },
      'out-dir': { type: 'string' },
      'no-minify': { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const started = performance.now();
  const architecture = architectureOf(values.arch);
  const built = await buildLambda({
    appDir: process.cwd(),
    entry: values.entry,
    externals: values.external,
    architecture,
    outDir: values['out-dir'],
    minify: !values['no-minify'],
  });
  const kib = (bytes: number) => `${Math.round(bytes / 1024)} KiB`;
  console.log(
    `${relative(process.cwd(), built.zipPath)} (${architecture}): ${kib(built.zipBytes)} ` +
      `(lambda.mjs ${kib(built.bundleBytes)}, ${built.files.length} files) ` +
      `in ${Math.round(performance.now() - started)} ms`,
  );
} catch (error) {
  console.error(`lambda-build: ${error instanceof Error ? error.message : String(error)}\n${usage}`);
  process.exit(error instanceof TypeError ? 2 : 1);
}

/**
 * `lambda-build [--entry src/lambda.ts] [--external <package>]... [--arch arm64|x86_64|host]
 * [--out-dir dist] [--no-minify]`, run in the app's directory (its `build` script).
 * The architecture defaults to the one infra deploys.
 */
import { relative } from 'node:path';
import { parseBuildArgs, usage } from './args.ts';
import { buildLambda } from './build.ts';
import { hostArchitecture, lambdaArchitectures } from './deployment.ts';

function architectureOf(name: string) {
  if (name === 'host') return hostArchitecture();
  if (Object.hasOwn(lambdaArchitectures, name)) return name as keyof typeof lambdaArchitectures;
  throw new Error(`--arch ${name}: use one of ${[...Object.keys(lambdaArchitectures), 'host'].join(', ')}`);
}

try {
  const values = parseBuildArgs(process.argv.slice(2));
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

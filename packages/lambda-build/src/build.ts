import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { join, resolve } from 'node:path';
import { type BuildOptions, build, type Plugin } from 'esbuild';
import { type Zippable, zipSync } from 'fflate';
import { type LambdaArchitecture, lambdaArchitectures, lambdaPackage } from './deployment.ts';
import { packageFiles, runtimeClosure } from './ship.ts';

export interface LambdaBuildOptions {
  /** The app's directory: entry and outDir resolve against it, externals are installed beside it. */
  appDir: string;
  /** The module exporting `handler` (default `src/lambda.ts`). */
  entry?: string;
  /** Packages kept out of the bundle and shipped beside it in `node_modules/` (native ones: sharp). */
  externals?: readonly string[];
  /** The instruction set the externals' native binaries are shipped for. */
  architecture: LambdaArchitecture;
  outDir?: string;
  /** Off only for a baseline to measure against. */
  minify?: boolean;
}

export interface LambdaBuild {
  zipPath: string;
  zipBytes: number;
  bundleBytes: number;
  /** Paths inside the zip. */
  files: string[];
}

// The bundle calls require() for Node built-ins (CommonJS dependencies, and every import of one:
// builtinsThroughRequire) and CommonJS dependencies read __filename/__dirname (ioredis builds
// error stacks with it); an ES module has neither, so the bundle defines them first.
const banner = [
  "import { createRequire as __createRequire } from 'node:module';",
  "import { dirname as __pathDirname } from 'node:path';",
  "import { fileURLToPath as __fileURLToPath } from 'node:url';",
  'const require = __createRequire(import.meta.url);',
  'const __filename = __fileURLToPath(import.meta.url);',
  'const __dirname = __pathDirname(__filename);',
].join('\n');

/**
 * Node's built-in modules through `require` (the banner's), not `import`. An ES module import of a
 * built-in makes Node fill the module namespace with every export's value, running each lazy
 * getter: `node:http`'s WebSocket loads undici, `node:process`'s stdin, stdout and stderr open
 * their streams, `node:crypto`'s webcrypto builds Web Crypto. The bundle reads each export when
 * it uses it instead, as a CommonJS dependency always does: undici, child_process and dgram no
 * longer load (measured on data-api: 2-5 ms less import, ~15 ms less CPU for the process).
 */
const builtinsThroughRequire: Plugin = {
  name: 'builtins-through-require',
  setup(build) {
    const namespace = 'node-builtin';
    build.onResolve({ filter: /^[a-z_:/]+$/ }, ({ path, namespace: from }) => {
      // The require() in the module below stays a require() of the built-in.
      if (from === namespace) return { path, external: true };
      return isBuiltin(path) ? { path, namespace } : undefined;
    });
    build.onLoad({ filter: /.*/, namespace }, ({ path }) => ({
      contents: `module.exports = require(${JSON.stringify(path)});`,
      loader: 'js',
    }));
  },
};

export interface BundleOptions {
  /** The entry module's absolute path. */
  entry: string;
  outfile: string;
  /** Packages left to `import` at run time (native ones: sharp). */
  externals: readonly string[];
  minify?: boolean;
}

/**
 * esbuild's options for one entry as a Lambda runs it: one ES module for Node 24 with the
 * externals left out. The local cloud's environments run their server entry built with these
 * too, so a local cold start is the same kind of import as a Lambda one.
 */
export function bundleOptions(options: BundleOptions): BuildOptions {
  const minify = options.minify ?? true;
  return {
    entryPoints: [options.entry],
    outfile: options.outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    // ES module builds first (the AWS SDK ships both): esbuild drops what is never imported
    // from them, while a CommonJS module is kept and run whole.
    mainFields: ['module', 'main'],
    // Whitespace and syntax only: identifiers keep their names, so stack traces read without a
    // source map, and no keepNames calls run at load (measured: ~10% less CPU on import than
    // full minification with keepNames, for a larger but still compressed zip).
    minifyWhitespace: minify,
    minifySyntax: minify,
    // Written for decoding a stack trace by hand; the bundle does not reference it.
    sourcemap: 'external',
    sourcesContent: false,
    external: [...options.externals],
    banner: { js: banner },
    plugins: [builtinsThroughRequire],
    logLevel: 'warning',
  };
}

/**
 * Builds `<outDir>/lambda.zip`: the entry bundled and minified into `lambda.mjs`, plus each
 * external package and its run-time dependencies for `architecture` (Lambda's Linux, glibc).
 * The source map stays in `outDir` beside the zip, out of the package: loading it would cost
 * every cold start, and the bundle keeps its identifiers' names for stack traces.
 */
export async function buildLambda(options: LambdaBuildOptions): Promise<LambdaBuild> {
  const outDir = resolve(options.appDir, options.outDir ?? lambdaPackage.outDir);
  const externals = options.externals ?? [];
  const minify = options.minify ?? true;
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const bundlePath = join(outDir, 'lambda.mjs');
  await build(
    bundleOptions({
      entry: resolve(options.appDir, options.entry ?? 'src/lambda.ts'),
      outfile: bundlePath,
      externals,
      minify,
    }),
  );
  const bundle = await readFile(bundlePath);
  const target = { os: 'linux', cpu: lambdaArchitectures[options.architecture].cpu, libc: 'glibc' };
  const files: Zippable = {
    'lambda.mjs': bundle,
    ...(await packageFiles(await runtimeClosure(externals, options.appDir, target))),
  };
  // A fixed timestamp keeps the zip byte-identical for the same code, so the deployed
  // function's hash changes only when the code does. Lambda needs the files world-readable.
  const zip = zipSync(files, { level: 9, mtime: new Date(2000, 0, 1), os: 3, attrs: 0o644 << 16 });
  const zipPath = join(outDir, lambdaPackage.zip);
  await writeFile(zipPath, zip);
  return { zipPath, zipBytes: zip.byteLength, bundleBytes: bundle.byteLength, files: Object.keys(files) };
}

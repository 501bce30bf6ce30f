/**
 * Builds the Lambda package `lambda.zip` (handler `lambda.handler`): `src/lambda.ts`
 * bundled into `bundle.mjs` with its source map, the `lambda.mjs` entry that loads it,
 * and what the bundle reads from disk.
 * Usage: `tsx scripts/build-lambda.ts [outDir]` (default `dist/`).
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { type Zippable, zipSync } from 'fflate';

const appDir = join(import.meta.dirname, '..');
const outDir = resolve(process.argv[2] ?? join(appDir, 'dist'));

/** Where, next to the bundle, it finds @fastify/swagger-ui's files. */
const swaggerUiDir = 'swagger-ui';

/**
 * @fastify/swagger-ui reads its logo and serves Swagger UI from `static/`, relative to
 * its modules' `__dirname`. Each of its modules gets a `__dirname` under `swagger-ui/`
 * beside the bundle, where the package's `static/` folder is zipped.
 */
function swaggerUiFiles(): { plugin: Plugin; staticDir: () => string } {
  let packageDir: string | undefined;
  const staticDir = () => {
    if (!packageDir) throw new Error('@fastify/swagger-ui was not bundled; is the docs route gone?');
    return join(packageDir, 'static');
  };
  const plugin: Plugin = {
    name: 'swagger-ui-files',
    setup(esbuild) {
      esbuild.onLoad({ filter: /[\\/]@fastify[\\/]swagger-ui[\\/].*\.js$/ }, async ({ path }) => {
        const marker = `${sep}@fastify${sep}swagger-ui${sep}`;
        packageDir = path.slice(0, path.lastIndexOf(marker) + marker.length - 1);
        const moduleDir = [swaggerUiDir, ...relative(packageDir, dirname(path)).split(sep)]
          .filter(Boolean)
          .join('/');
        const contents = await readFile(path, 'utf8');
        return {
          contents: `var __dirname = __bundleDir + ${JSON.stringify(`/${moduleDir}`)};\n${contents}`,
          loader: 'js',
        };
      });
    },
  };
  return { plugin, staticDir };
}

// CommonJS dependencies call require() for Node built-ins and read __dirname (ioredis builds
// error stacks with it); an ES module has neither, so the bundle defines them first.
const banner = [
  "import { createRequire as __createRequire } from 'node:module';",
  "import { dirname as __pathDirname } from 'node:path';",
  "import { fileURLToPath as __fileURLToPath } from 'node:url';",
  'const require = __createRequire(import.meta.url);',
  'const __filename = __fileURLToPath(import.meta.url);',
  'const __bundleDir = __pathDirname(__filename);',
  'const __dirname = __bundleDir;',
].join('\n');

/**
 * The handler's module. The runtime starts node without --enable-source-maps, and Node
 * applies source maps only to modules loaded after they are enabled, so the entry turns
 * them on before it loads the bundle.
 */
const entry = [
  'process.setSourceMapsEnabled(true);',
  "export const { handler } = await import('./bundle.mjs');",
  '',
].join('\n');

async function filesUnder(dir: string, zipDir: string): Promise<Zippable> {
  const files: Zippable = {};
  const paths = (await readdir(dir, { withFileTypes: true, recursive: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
  for (const path of paths)
    files[`${zipDir}/${relative(dir, path).split(sep).join('/')}`] = await readFile(path);
  return files;
}

await rm(outDir, { recursive: true, force: true });
await mkdir(outDir, { recursive: true });
const swaggerUi = swaggerUiFiles();
const started = performance.now();
await build({
  entryPoints: [join(appDir, 'src/lambda.ts')],
  outfile: join(outDir, 'bundle.mjs'),
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  // Mappings only: stack traces need them, not the dependencies' sources.
  sourcemap: 'linked',
  sourcesContent: false,
  banner: { js: banner },
  plugins: [swaggerUi.plugin],
  logLevel: 'warning',
});

await writeFile(join(outDir, 'lambda.mjs'), entry);

const bundle = await readFile(join(outDir, 'bundle.mjs'));
const files: Zippable = {
  'lambda.mjs': new TextEncoder().encode(entry),
  'bundle.mjs': bundle,
  'bundle.mjs.map': await readFile(join(outDir, 'bundle.mjs.map')),
  ...(await filesUnder(swaggerUi.staticDir(), `${swaggerUiDir}/static`)),
};
// A fixed timestamp keeps the zip byte-identical for the same code, so the deployed
// function's hash changes only when the code does. Lambda needs the files world-readable.
const zip = zipSync(files, { level: 9, mtime: new Date(2000, 0, 1), os: 3, attrs: 0o644 << 16 });
await writeFile(join(outDir, 'lambda.zip'), zip);
const kib = (bytes: number) => `${Math.round(bytes / 1024)} KiB`;
console.log(
  `${relative(process.cwd(), join(outDir, 'lambda.zip'))}: ${kib(zip.byteLength)} ` +
    `(bundle.mjs ${kib(bundle.byteLength)}) in ${Math.round(performance.now() - started)} ms`,
);

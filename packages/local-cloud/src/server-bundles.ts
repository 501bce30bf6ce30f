import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { appExternals, bundleOptions } from '@stateless/lambda-build';
import { build, type OutputFile, version } from 'esbuild';
import { ProcessError } from './errors.ts';

export interface ServerBundleSpec {
  /** The app's directory (its package.json's `build` script names the externals). */
  appDir: string;
  /** Relative to `appDir`; default `src/server.ts`. */
  entry?: string;
}

export interface ServerBundle {
  /** The bundle (`<appDir>/.local/server-bundles/<content hash>/server.mjs`). */
  path: string;
  /** False when the last build's bundle was reused: every file it was built from is unchanged. */
  built: boolean;
}

/** What the last build of an entry read (each file's SHA-256) and wrote. */
interface Manifest {
  options: string;
  inputs: Record<string, string>;
  bundle: string;
}

/**
 * Packages that read files beside their own code (swagger-ui its static pages, through
 * `__dirname`): bundled, they would look beside the bundle. Left to `import` from the app's
 * node_modules instead. Only server entries use them (no Lambda entry imports swagger-ui), so the
 * Lambda build has no such list.
 */
const readOwnFiles = ['@fastify/swagger-ui'];

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/** The content hash of each file esbuild read (its metafile's inputs; `ns:path` ones are virtual). */
async function hashInputs(paths: string[], root: string): Promise<Record<string, string> | undefined> {
  try {
    const files = paths.filter((path) => !/^[a-z-]+:/.test(path));
    const hashed = files.map(async (path) => [path, sha256(await readFile(join(root, path)))] as const);
    return Object.fromEntries(await Promise.all(hashed));
  } catch {
    return undefined; // a file is gone: not the same inputs
  }
}

const readManifest = async (path: string): Promise<Manifest | undefined> =>
  readFile(path, 'utf8').then(JSON.parse, () => undefined);

/** Writes beside `path` and renames: another process building the same app reads it whole or not at all. */
async function writeAtomically(path: string, contents: string | Uint8Array) {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, contents);
  await rename(temporary, path);
}

/**
 * An app's server entry bundled as its Lambda is (lambda-build's esbuild options, the same
 * externals), so an environment's cold start is an import of one ES module as Lambda's is, not tsx
 * transpiling the app. The bundle is written inside the app's directory so its external imports
 * (sharp) resolve from the app's node_modules, as they do from the Lambda zip's. A build is reused
 * while every file it read has the same content (SHA-256 of each of esbuild's inputs, about 2,800
 * files per app) and the options are the same; otherwise the entry is rebuilt into a new folder
 * named by the bundle's hash, so a process still running an older bundle keeps its file.
 * A build error is a ProcessError with esbuild's message.
 */
export async function serverBundle(spec: ServerBundleSpec): Promise<ServerBundle> {
  const entry = join(spec.appDir, spec.entry ?? 'src/server.ts');
  const cacheDir = join(spec.appDir, '.local', 'server-bundles');
  const manifestPath = join(cacheDir, `${basename(entry)}.json`);
  const options = bundleOptions({
    entry,
    outfile: join(cacheDir, 'server.mjs'),
    externals: [...(await appExternals(spec.appDir)), ...readOwnFiles],
  });
  const optionsKey = sha256(
    JSON.stringify({ esbuild: version, ...options, plugins: options.plugins?.map((p) => p.name) }),
  );
  const last = await readManifest(manifestPath);
  if (last?.options === optionsKey) {
    const now = await hashInputs(Object.keys(last.inputs), spec.appDir);
    const bundleThere = await readFile(join(cacheDir, last.bundle)).then(
      () => true,
      () => false,
    );
    if (bundleThere && now && Object.entries(last.inputs).every(([path, hash]) => now[path] === hash))
      return { path: join(cacheDir, last.bundle), built: false };
  }
  let outputFiles: OutputFile[];
  let inputs: string[];
  try {
    const result = await build({ ...options, absWorkingDir: spec.appDir, write: false, metafile: true });
    outputFiles = result.outputFiles;
    inputs = Object.keys(result.metafile.inputs);
  } catch (error) {
    throw new ProcessError(`bundling ${entry} failed: ${(error as Error).message}`, { cause: error });
  }
  const code = outputFiles.find((file) => file.path.endsWith('.mjs'));
  if (!code) throw new ProcessError(`bundling ${entry} wrote no .mjs file`);
  const folder = sha256(code.contents).slice(0, 16);
  await mkdir(join(cacheDir, folder), { recursive: true });
  for (const file of outputFiles)
    await writeAtomically(join(cacheDir, folder, basename(file.path)), file.contents);
  const bundle = join(folder, basename(code.path));
  const hashes = await hashInputs(inputs, spec.appDir);
  if (hashes) {
    const manifest: Manifest = { options: optionsKey, inputs: hashes, bundle };
    await writeAtomically(manifestPath, JSON.stringify(manifest));
  }
  return { path: join(cacheDir, bundle), built: true };
}

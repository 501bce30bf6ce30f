import { access, readdir, readFile, realpath } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Zippable } from 'fflate';

/** The platform a package is installed for, in the terms of package.json's `os`, `cpu` and `libc`. */
export interface TargetPlatform {
  os: string;
  cpu: string;
  libc: string;
}

interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  os?: string[];
  cpu?: string[];
  libc?: string[];
}

/** An npm platform field (`["linux"]`, `["!win32"]`): absent means any. */
function allows(field: string[] | undefined, value: string): boolean {
  if (!field?.length) return true;
  if (field.includes(`!${value}`)) return false;
  return field.some((entry) => !entry.startsWith('!')) ? field.includes(value) : true;
}

const runsOn = (pkg: PackageJson, target: TargetPlatform) =>
  allows(pkg.os, target.os) && allows(pkg.cpu, target.cpu) && allows(pkg.libc, target.libc);

/** The package's real directory as Node would resolve `name` from `fromDir` (pnpm links resolved). */
async function installedDir(name: string, fromDir: string): Promise<string | undefined> {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    try {
      await access(join(candidate, 'package.json'));
      return await realpath(candidate);
    } catch {
      if (dirname(dir) === dir) return undefined;
    }
  }
}

const readPackage = async (dir: string): Promise<PackageJson> =>
  JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));

/**
 * `names` and everything they depend on at run time, as installed beside `fromDir`: each
 * package's directory by name. Optional dependencies are kept only where they run on `target`
 * (sharp's `@img/*` binaries); one for the target that is not installed is an error, since
 * the package would fail to load in Lambda.
 */
export async function runtimeClosure(
  names: readonly string[],
  fromDir: string,
  target: TargetPlatform,
): Promise<Map<string, string>> {
  const found = new Map<string, { dir: string; version: string }>();
  const platformTag = `${target.os}-${target.cpu}`;
  const visit = async (name: string, from: string, optional: boolean): Promise<void> => {
    const dir = await installedDir(name, from);
    if (!dir) {
      if (!optional) throw new Error(`${name} (needed from ${from}) is not installed`);
      // Platform packages are named after their platform (@img/sharp-linux-arm64).
      if (new RegExp(`(^|[-/])${platformTag}$`).test(name))
        throw new Error(
          `${name} is not installed, and the package needs it on ${platformTag}: add ` +
            `${target.os}/${target.cpu}/${target.libc} to supportedArchitectures in pnpm-workspace.yaml`,
        );
      return;
    }
    const pkg = await readPackage(dir);
    if (optional && !runsOn(pkg, target)) return;
    const seen = found.get(name);
    if (seen) {
      if (seen.version !== pkg.version)
        throw new Error(
          `${name} is needed at ${seen.version} and ${pkg.version}; one node_modules holds one`,
        );
      return;
    }
    found.set(name, { dir, version: pkg.version });
    for (const dependency of Object.keys(pkg.dependencies ?? {})) await visit(dependency, dir, false);
    for (const dependency of Object.keys(pkg.optionalDependencies ?? {})) await visit(dependency, dir, true);
  };
  for (const name of names) await visit(name, fromDir, false);
  return new Map([...found].map(([name, { dir }]) => [name, dir]));
}

/** Not needed at run time: type declarations, docs, native sources, nested installs. */
const skipped = (path: string) =>
  path.split(sep).includes('node_modules') || /\.(d\.[cm]?ts|md|map|cc|h|gyp)$/.test(path);

/** The packages' files under `node_modules/<name>/` (the layout Node resolves from the bundle). */
export async function packageFiles(packages: Map<string, string>): Promise<Zippable> {
  const files: Zippable = {};
  for (const [name, dir] of [...packages].sort(([a], [b]) => a.localeCompare(b))) {
    const paths = (await readdir(dir, { withFileTypes: true, recursive: true }))
      .filter((entry) => entry.isFile())
      .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
      .filter((path) => !skipped(path))
      .sort();
    for (const path of paths)
      files[`node_modules/${name}/${path.split(sep).join('/')}`] = await readFile(join(dir, path));
  }
  return files;
}

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalCloudError, MissingToolError } from './errors.ts';

/** The monorepo root: the folder holding pnpm-workspace.yaml. */
export const repoRoot = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new LocalCloudError('Cannot find the repository root (pnpm-workspace.yaml)');
    dir = parent;
  }
  return dir;
})();

export const localDir = join(repoRoot, '.local');

/** Finds an executable on PATH, and in the sbin folders Debian puts daemons in. */
export function which(tool: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    const candidate = join(dir, tool);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

const canApt = () => process.getuid?.() === 0 && which('apt-get') !== undefined;

/** The path of a Debian-packaged tool, installing the package when this machine allows it. */
export function ensureSystemTool(tool: string, aptPackage: string): string {
  const found = which(tool);
  if (found) return found;
  const installed = aptInstall(aptPackage) ? which(tool) : undefined;
  if (!installed) throw new MissingToolError(tool, `sudo apt-get install -y ${aptPackage}`);
  return installed;
}

/** Installs a Debian package if we are root on a Debian-like system; false when we cannot. */
function aptInstall(aptPackage: string): boolean {
  if (!canApt()) return false;
  console.error(`[local-cloud] installing ${aptPackage} with apt-get…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  return spawnSync('apt-get', ['install', '-y', '-qq', aptPackage], { stdio: 'inherit', env }).status === 0;
}

const requirementsFile = join(repoRoot, 'packages/local-cloud/requirements.txt');
const venvDir = join(localDir, 'venv');

const motoLauncher = join(repoRoot, 'packages/local-cloud/python/moto_server.py');

/**
 * The command that runs moto (through our launcher, see python/moto_server.py)
 * from the project-local venv, created or updated when requirements.txt
 * changes. A lock folder keeps concurrent test runs from racing.
 */
export function ensureMotoServer(): { command: string; args: string[] } {
  const server = { command: join(venvDir, 'bin', 'python'), args: [motoLauncher] };
  const motoServer = join(venvDir, 'bin', 'moto_server');
  const wanted = createHash('sha256').update(readFileSync(requirementsFile)).digest('hex');
  const stamp = join(venvDir, '.requirements.sha256');
  const current = () => existsSync(motoServer) && existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted;
  if (current()) return server;

  mkdirSync(localDir, { recursive: true });
  const lock = join(localDir, 'venv.lock');
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline)
        throw new LocalCloudError(`Timed out waiting for ${lock}; remove it if stale`);
      execFileSync('sleep', ['1']);
    }
  }
  try {
    if (current()) return server;
    const python = which('python3') ?? which('python');
    if (!python) throw new MissingToolError('python3', 'sudo apt-get install -y python3 python3-venv');
    console.error('[local-cloud] creating the Python venv for moto (first run only)…');
    rmSync(venvDir, { recursive: true, force: true });
    const createVenv = () => spawnSync(python, ['-m', 'venv', venvDir], { stdio: 'inherit' }).status === 0;
    // Debian's python3 ships venv separately.
    if (!createVenv() && !(aptInstall('python3-venv') && createVenv())) {
      throw new MissingToolError('python3 venv', 'sudo apt-get install -y python3-venv');
    }
    const pip = spawnSync(join(venvDir, 'bin', 'pip'), ['install', '-q', '-r', requirementsFile], {
      stdio: 'inherit',
    });
    if (pip.status !== 0) throw new LocalCloudError(`pip install -r ${requirementsFile} failed`);
    writeFileSync(stamp, wanted);
    return server;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** checkov, pinned in requirements.txt beside moto, from the same project venv (created on first use). */
export function ensureCheckov(): string {
  ensureMotoServer();
  return join(venvDir, 'bin', 'checkov');
}

import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';

const repoRoot = join(import.meta.dirname, '../..');

/**
 * A second checkout of this one in `into`: every file git tracks or would add (as they are in
 * the working tree), and the installed packages of each workspace folder linked in (what
 * `pnpm install` would put there), so infra's commands run in it as in a fresh clone.
 */
export function copyCheckout(into: string): string {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  const dirs = new Set<string>(['.']);
  for (const file of files.split('\0').filter(Boolean)) {
    if (!existsSync(join(repoRoot, file))) continue; // deleted in the working tree
    mkdirSync(dirname(join(into, file)), { recursive: true });
    copyFileSync(join(repoRoot, file), join(into, file));
    dirs.add(dirname(file));
  }
  for (const dir of dirs) {
    const modules = join(repoRoot, dir, 'node_modules');
    if (existsSync(modules) && !existsSync(join(into, dir, 'node_modules'))) {
      symlinkSync(modules, join(into, dir, 'node_modules'));
    }
  }
  return into;
}

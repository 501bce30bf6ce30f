import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runtimeClosure } from '../src/ship.ts';

// The worker's installed sharp (pnpm-workspace.yaml's supportedArchitectures adds the linux-arm64 builds).
const workerDir = join(import.meta.dirname, '../../../apps/workflow-worker');
const linux = (cpu: string) => ({ os: 'linux', cpu, libc: 'glibc' });

describe('runtimeClosure', () => {
  it("keeps sharp's dependencies and only the binaries for the target", async () => {
    const arm64 = [...(await runtimeClosure(['sharp'], workerDir, linux('arm64'))).keys()].sort();
    expect(arm64).toEqual([
      '@img/colour',
      '@img/sharp-libvips-linux-arm64',
      '@img/sharp-linux-arm64',
      'detect-libc',
      'semver',
      'sharp',
    ]);
    const x64 = [...(await runtimeClosure(['sharp'], workerDir, linux('x64'))).keys()];
    expect(x64).toContain('@img/sharp-linux-x64');
    expect(x64.filter((name) => name.includes('arm64'))).toEqual([]);
  });

  it('refuses a target whose platform package is not installed, naming it and the fix', async () => {
    await expect(
      runtimeClosure(['sharp'], workerDir, { os: 'darwin', cpu: 'arm64', libc: 'glibc' }),
    ).rejects.toThrow(/@img\/sharp-darwin-arm64 is not installed.*supportedArchitectures/);
  });

  it('refuses a package that is not installed', async () => {
    await expect(runtimeClosure(['no-such-package'], workerDir, linux('arm64'))).rejects.toThrow(
      /no-such-package .* is not installed/,
    );
  });
});

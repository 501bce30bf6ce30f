import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cpuController } from '../src/cpu-units.ts';

describe('the CPU controller', () => {
  it('says why environments run unconstrained where there is no cgroup v1 CPU controller', () => {
    const missing = cpuController(join(tmpdir(), 'no-such-controller'));
    expect(missing.unavailable).toMatch(/no cgroup v1 CPU controller at/);
    expect(missing.unit('x')).toBeUndefined();
  });

  it('writes a short period and the cap as quota, a longer period where the quota would be under 1 ms', () => {
    // A stand-in for the controller's folder: the files it has, written to as the kernel's are.
    const root = mkdtempSync(join(tmpdir(), 'cpu-controller-'));
    writeFileSync(join(root, 'cpu.cfs_quota_us'), '-1');
    const controller = cpuController(root);
    expect(controller.unavailable).toBeUndefined();
    const unit = controller.unit('data-api-1');
    if (!unit) throw new Error('no unit');
    const read = (file: string) => Number(readFileSync(join(unit.dir, file), 'utf8'));
    unit.set(0.1);
    expect([read('cpu.cfs_period_us'), read('cpu.cfs_quota_us')]).toEqual([10_000, 1_000]);
    unit.set(0.05);
    expect([read('cpu.cfs_period_us'), read('cpu.cfs_quota_us')]).toEqual([20_000, 1_000]);
    unit.set(null);
    expect(read('cpu.cfs_quota_us')).toBe(-1);
    unit.add(12345);
    expect(read('cgroup.procs')).toBe(12345);
  });
});

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureCheckov } from '@stateless/local-cloud';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { reviewedChecks, type Skip, type Stage } from '../checkov-skips.ts';

interface Finding {
  check_id: string;
  check_name: string;
  resource: string;
  file_path: string;
}
interface Report {
  summary: { passed: number; failed: number; skipped: number; parsing_errors: number };
  results: { failed_checks: Finding[]; passed_checks: Finding[] };
}

const stages: Stage[] = ['dev', 'prod'];
const reports = {} as Record<Stage, Report>;

/** checkov over one stage's synthesized stacks, as a security team would run it. */
async function scan(stage: Stage): Promise<Report> {
  const { stdout } = await promisify(execFile)(
    ensureCheckov(),
    [
      '-d',
      join(inject('synthDirs')[stage], 'stacks'),
      '--framework',
      'terraform_json',
      '--skip-download',
      '-o',
      'json',
    ],
    // checkov exits 1 when any check fails; the findings are judged below.
    { maxBuffer: 64 * 1024 * 1024 },
  ).catch((error: { stdout?: string; code?: number }) => {
    if (error.code === 1 && error.stdout) return { stdout: error.stdout };
    throw error;
  });
  return JSON.parse(stdout) as Report;
}

const skipFor = (stage: Stage, finding: Finding): Skip | undefined => {
  const skip = reviewedChecks[finding.check_id]?.stages[stage];
  if (!skip) return undefined;
  return !skip.resources || skip.resources.some((r) => finding.resource.includes(r)) ? skip : undefined;
};

beforeAll(async () => {
  const scanned = await Promise.all(stages.map(scan));
  stages.forEach((stage, index) => {
    const report = scanned[index] as Report;
    reports[stage] = report;
    const reviewed = report.results.failed_checks.filter((f) => skipFor(stage, f)).length;
    console.log(
      `checkov ${stage}: ${report.summary.passed} passed, ${report.summary.failed - reviewed} failed, ${reviewed} skipped (reviewed in checkov-skips.ts)`,
    );
  });
}, 180_000);

describe.each(stages)('checkov over the %s stacks', (stage) => {
  it('scans every stack and parses all of them', () => {
    const report = reports[stage];
    expect(report.summary.parsing_errors).toBe(0);
    expect(report.summary.passed).toBeGreaterThan(200);
    const scannedFiles = new Set(report.results.failed_checks.map((f) => f.file_path));
    for (const name of ['platform', 'workflow', 'upload-service', 'data-api'])
      expect([...scannedFiles].some((file) => file.includes(`/${name}/`))).toBe(true);
  });

  it('has no failed check that is not reviewed in checkov-skips.ts', () => {
    const unreviewed = reports[stage].results.failed_checks
      .filter((f) => !skipFor(stage, f))
      .map((f) => `${f.check_id} ${f.resource} (${f.file_path}): ${f.check_name}`);
    expect(unreviewed).toEqual([]);
  });

  it('has no reviewed skip that no longer matches a finding', () => {
    const stale: string[] = [];
    for (const [check, { stages: perStage }] of Object.entries(reviewedChecks)) {
      const skip = perStage[stage];
      if (!skip) continue;
      const findings = reports[stage].results.failed_checks.filter((f) => f.check_id === check);
      for (const resource of skip.resources ?? ['']) {
        if (!findings.some((f) => f.resource.includes(resource))) stale.push(`${check} ${resource}`.trim());
      }
    }
    expect(stale).toEqual([]);
  });
});

describe('the reviewed skips', () => {
  it('give a one-line reason for each stage they cover', () => {
    for (const [check, { stages: perStage }] of Object.entries(reviewedChecks)) {
      for (const skip of Object.values(perStage)) {
        expect(skip.reason.length, check).toBeGreaterThan(20);
        expect(skip.reason, check).not.toContain('\n');
      }
    }
  });

  it('leave prod with the fixes the issue lists (no prod skip of HTTPS, WAF, logging, tracing, failover, versioning)', () => {
    const mustPassInProd = [
      'CKV2_AWS_28',
      'CKV_AWS_284',
      'CKV_AWS_50',
      'CKV2_AWS_50',
      'CKV_AWS_21',
      'CKV_AWS_18',
      'CKV2_AWS_11',
      'CKV2_AWS_12',
      'CKV_AWS_23',
      'CKV_AWS_31',
      'CKV_AWS_91',
      'CKV_AWS_150',
      // The console: its own domain with TLS 1.2+.
      'CKV_AWS_174',
      'CKV2_AWS_42',
    ];
    for (const check of mustPassInProd) {
      expect(reviewedChecks[check]?.stages.prod, check).toBeUndefined();
      expect(
        reports.prod.results.failed_checks.filter((f) => f.check_id === check),
        check,
      ).toEqual([]);
      // Passed on at least one resource: the check ran, it did not just disappear.
      expect(
        reports.prod.results.passed_checks.some((f) => f.check_id === check),
        check,
      ).toBe(true);
    }
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppMetrics, metricsNamespace } from '../src/index.ts';

/** The EMF documents written to stdout while `run` runs. */
function emitted(run: () => void) {
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    run();
  } finally {
    write.mockRestore();
  }
  return lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.includes('_aws'))
    .map((l) => JSON.parse(l));
}

afterEach(() => vi.restoreAllMocks());

describe('AppMetrics', () => {
  it('writes buffered counts as one EMF document in the stage namespace, with the service dimension', () => {
    const metrics = new AppMetrics('data-api', metricsNamespace('test'));
    const [document, ...rest] = emitted(() => {
      metrics.record('CacheHits');
      metrics.record('CacheHits', 2);
      metrics.record('RateLimitRejections');
      metrics.flush();
      metrics.flush();
    });
    expect(rest).toHaveLength(0);
    const [directive] = document._aws.CloudWatchMetrics;
    expect(directive.Namespace).toBe('StatelessStack/test');
    expect(directive.Dimensions).toEqual([['service']]);
    expect(directive.Metrics).toEqual(
      expect.arrayContaining([
        { Name: 'CacheHits', Unit: 'Count' },
        { Name: 'RateLimitRejections', Unit: 'Count' },
      ]),
    );
    expect(document.service).toBe('data-api');
    expect(document.CacheHits).toEqual([1, 2]);
  });

  it('sends a metric with dimensions at once, with the catalogue unit', () => {
    const metrics = new AppMetrics('workflow-worker', metricsNamespace('test'));
    const [document] = emitted(() => metrics.record('StepDuration', 12, { step: 'inspect' }));
    const [directive] = document._aws.CloudWatchMetrics;
    expect(directive.Dimensions[0]).toEqual(expect.arrayContaining(['service', 'step']));
    expect(directive.Metrics).toEqual([{ Name: 'StepDuration', Unit: 'Milliseconds' }]);
    expect(document.step).toBe('inspect');
    expect(emitted(() => metrics.flush())).toHaveLength(0);
  });
});

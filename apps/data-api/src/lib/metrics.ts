/**
 * In-process counters, shared by the public and internal listeners of one
 * process and served at `GET /internal/metrics`. They reset with the process;
 * dashboards sum them over instances (or read the EMF-style log lines).
 */
export const metricNames = [
  'cacheHits',
  'cacheMisses',
  'cacheNegativeHits',
  'cacheCoalesced',
  'cacheBypassed',
  'cacheErrors',
  'cacheInvalidations',
  'cacheInvalidationErrors',
  'redisDown',
  'rateLimited',
  'rateLimitBypassed',
  'dbReads',
  'dbWrites',
  'dbConflicts',
  's3DeleteErrors',
] as const;
export type MetricName = (typeof metricNames)[number];

export class Metrics {
  private readonly counters = new Map<MetricName, number>(metricNames.map((n) => [n, 0]));

  inc(name: MetricName, by = 1) {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
  }

  get(name: MetricName) {
    return this.counters.get(name) ?? 0;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counters);
  }
}

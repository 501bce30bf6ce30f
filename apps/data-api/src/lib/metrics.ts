import type { AppMetrics, MetricNameOf } from '@stateless/observability';

/**
 * Counters of one process, shared by its public and internal listeners.
 * They are two things:
 * - this instance's view, served at `GET /internal/metrics` (it resets with the
 *   process: in Lambda, one container's count);
 * - for the names in `published`, CloudWatch metrics: each count is also
 *   recorded as EMF (Powertools) and written by `flush()` once per request, so
 *   CloudWatch sums them over every instance. These are what dashboards read.
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
  'sweepCleaned',
  'sweepFailed',
] as const;
export type MetricName = (typeof metricNames)[number];

/** The counters CloudWatch gets, under the catalogue's names (@stateless/observability). */
export const published: Partial<Record<MetricName, MetricNameOf<'data-api'>>> = {
  cacheHits: 'CacheHits',
  cacheNegativeHits: 'CacheHits',
  cacheCoalesced: 'CacheHits',
  cacheMisses: 'CacheMisses',
  cacheBypassed: 'CacheFallbacks',
  rateLimited: 'RateLimitRejections',
  sweepCleaned: 'SweepAssetsCleaned',
  sweepFailed: 'SweepFailures',
};

export class Metrics {
  private readonly counters = new Map<MetricName, number>(metricNames.map((n) => [n, 0]));

  /** Without `cloudWatch`, the counts stay in this process. */
  constructor(private readonly cloudWatch?: AppMetrics<'data-api'>) {}

  inc(name: MetricName, by = 1) {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
    const publishedAs = published[name];
    if (publishedAs) this.cloudWatch?.record(publishedAs, by);
  }

  /** Writes the CloudWatch metrics recorded since the last flush (one EMF line, if any). */
  flush() {
    this.cloudWatch?.flush();
  }

  get(name: MetricName) {
    return this.counters.get(name) ?? 0;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counters);
  }
}

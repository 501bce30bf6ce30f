import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { AppName } from '@stateless/topology';
import { type MetricNameOf, metricCatalogue, serviceDimension } from './catalogue.ts';

/**
 * An app's metrics as CloudWatch Embedded Metric Format on stdout, through Powertools.
 * In Lambda, CloudWatch Logs turns each line into metrics, summed over every instance.
 * Only catalogue names type-check, with the catalogue's unit.
 */
export class AppMetrics<A extends AppName> {
  private readonly metrics: Metrics;
  private pending = false;

  constructor(
    readonly app: A,
    namespace: string,
  ) {
    this.metrics = new Metrics({ namespace, serviceName: app });
  }

  /** Adds `value` to `name`; buffered until `flush()`, or sent at once when it has dimensions. */
  record(name: MetricNameOf<A>, value = 1, dimensions?: Readonly<Record<string, string>>) {
    const definitions: Record<string, { unit: keyof typeof MetricUnit }> = metricCatalogue[this.app];
    const unit = MetricUnit[definitions[name]?.unit ?? 'Count'];
    if (dimensions && Object.keys(dimensions).length > 0) {
      const single = this.metrics.singleMetric();
      single.addDimensions({ ...dimensions });
      // A single metric is published as soon as it is added.
      single.addMetric(name, unit, value);
      return;
    }
    this.metrics.addMetric(name, unit, value);
    this.pending = true;
  }

  /** Writes what is buffered (one EMF line); call at the end of each request or invocation. */
  flush() {
    if (!this.pending) return;
    this.pending = false;
    this.metrics.publishStoredMetrics();
  }
}

export { serviceDimension };

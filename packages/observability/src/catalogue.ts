import type { AppName } from '@stateless/topology';
import { permanentErrors, pipelineSteps, retryableErrors } from '@stateless/workflows';

export type MetricUnitName = 'Count' | 'Milliseconds';

export interface MetricDefinition {
  unit: MetricUnitName;
  /** What one data point means; the dashboard's and README's wording. */
  description: string;
  /** Dimensions beyond `service`, each with the values the code may give it (open set: `[]`). */
  dimensions?: Readonly<Record<string, readonly string[]>>;
}

/** The pipeline's steps, as the worker names them (one `step` dimension value each): the workflows' list. */
export { pipelineSteps };

/** Why a step failed: the errorType it raised, or `Unexpected` for anything it did not name. */
export const stepFailureReasons = [...permanentErrors, ...retryableErrors, 'Unexpected'] as const;

/**
 * Every metric the apps emit, per app: the single source of the names the code emits
 * (the wrapper accepts nothing else) and infra's dashboard and alarms read.
 */
export const metricCatalogue = {
  'data-api': {
    CacheHits: { unit: 'Count', description: 'Reads answered from Redis' },
    CacheMisses: { unit: 'Count', description: 'Reads that went to DynamoDB and filled the cache' },
    CacheFallbacks: {
      unit: 'Count',
      description: 'Reads and writes that skipped Redis because it was down or slow (served from DynamoDB)',
    },
    RateLimitRejections: { unit: 'Count', description: 'Requests answered 429 by the per-user rate limit' },
    SweepAssetsCleaned: {
      unit: 'Count',
      description: 'Deleted assets whose S3 objects the sweep removed',
    },
    SweepFailures: { unit: 'Count', description: 'Deleted assets whose objects the sweep could not remove' },
  },
  'upload-service': {
    UploadsSigned: { unit: 'Count', description: 'Uploads created and signed (single or multipart)' },
    UploadsCompleted: { unit: 'Count', description: 'Multipart uploads completed through the service' },
  },
  'workflow-worker': {
    StepDuration: {
      unit: 'Milliseconds',
      description: 'Time one pipeline step took',
      dimensions: { step: pipelineSteps },
    },
    StepFailures: {
      unit: 'Count',
      description: 'Pipeline steps that failed, by step and a short reason code',
      dimensions: { step: pipelineSteps, reason: stepFailureReasons },
    },
  },
} as const satisfies Record<AppName, Record<string, MetricDefinition>>;

export type MetricCatalogue = typeof metricCatalogue;
export type MetricNameOf<A extends AppName> = keyof MetricCatalogue[A] & string;

/** Where the apps' metrics land: one CloudWatch namespace per stage, so stages never mix. */
export const metricsNamespace = (stage: string) => `StatelessStack/${stage}`;

/** The default dimension every app metric carries. */
export const serviceDimension = 'service';

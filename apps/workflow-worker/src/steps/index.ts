import type { S3Client } from '@aws-sdk/client-s3';
import type { DataApiInternalClient } from '@stateless/contracts';
import type { PipelineStep, StepInput } from '@stateless/workflows';
import type { StepHandler } from '../invoke.ts';
import { measuredSteps, type WorkerMetrics } from '../metrics.ts';
import { whileDataApiUp, whileStorageUp } from './dependencies.ts';
import { inspect, type MediaLimits, RefusedFile, thumbnail } from './media.ts';
import { finalize, markFailed, recordFound, startProcessing } from './records.ts';

export interface StepDependencies {
  s3: S3Client;
  dataApi: DataApiInternalClient;
  config: MediaLimits;
  metrics: WorkerMetrics;
}

/** The worker's steps, wired to their clients and measured. Payloads are validated by `dispatch` first. */
export function createSteps({
  s3,
  dataApi,
  config,
  metrics,
}: StepDependencies): Record<PipelineStep, StepHandler> {
  return measuredSteps(
    {
      inspect: async (payload) => {
        const input = payload as StepInput<'inspect'>;
        const declared = await whileDataApiUp(() => startProcessing(dataApi, input.assetId));
        try {
          return await whileStorageUp(() => inspect(s3, config, input, declared));
        } catch (error) {
          if (error instanceof RefusedFile) {
            await whileDataApiUp(() => recordFound(dataApi, input.assetId, error.found));
          }
          throw error;
        }
      },
      thumbnail: (payload) => whileStorageUp(() => thumbnail(s3, config, payload as StepInput<'thumbnail'>)),
      finalize: (payload) => whileDataApiUp(() => finalize(dataApi, payload as StepInput<'finalize'>)),
      markFailed: (payload) => whileDataApiUp(() => markFailed(dataApi, payload as StepInput<'markFailed'>)),
    },
    metrics,
  );
}

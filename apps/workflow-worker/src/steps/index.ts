import type { S3Client } from '@aws-sdk/client-s3';
import type { DataApiInternalClient } from '@stateless/contracts';
import type { PipelineStep, StepInput } from '@stateless/workflows';
import type { StepHandler } from '../invoke.ts';
import { finalize, markFailed } from './records.ts';

export interface StepDependencies {
  s3: S3Client;
  dataApi: DataApiInternalClient;
}

/** The worker's steps, wired to their clients. Payloads are validated by `dispatch` first. */
export function createSteps({ dataApi }: StepDependencies): Partial<Record<PipelineStep, StepHandler>> {
  return {
    finalize: (payload) => finalize(dataApi, payload as StepInput<'finalize'>),
    markFailed: (payload) => markFailed(dataApi, payload as StepInput<'markFailed'>),
  };
}

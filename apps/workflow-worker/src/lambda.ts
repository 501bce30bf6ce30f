import { createS3Client } from '@stateless/aws';
import { loadEnv, workflowWorkerEnv } from '@stateless/config';
import { AppMetrics } from '@stateless/observability';
import { createDataApi, mediaLimitsOf } from './data-api.ts';
import { dispatch } from './invoke.ts';
import { createSteps } from './steps/index.ts';

// Built once per container: clients and the cached service token outlive invocations.
const config = loadEnv(workflowWorkerEnv);
const metrics = new AppMetrics('workflow-worker', config.METRICS_NAMESPACE);
const steps = createSteps({
  s3: createS3Client({ region: config.AWS_REGION, forcePathStyle: config.S3_FORCE_PATH_STYLE }),
  dataApi: createDataApi(config),
  config: mediaLimitsOf(config),
  metrics,
});

export async function handler(event: unknown) {
  try {
    return await dispatch(steps, event);
  } finally {
    // Before the runtime freezes the container, so no invocation's metrics wait for the next.
    metrics.flush();
  }
}

import { createS3Client } from '@stateless/aws';
import { loadEnv, workflowWorkerEnv } from '@stateless/config';
import { createDataApi, mediaLimitsOf } from './data-api.ts';
import { dispatch } from './invoke.ts';
import { createSteps } from './steps/index.ts';

// Built once per container: clients and the cached service token outlive invocations.
const config = loadEnv(workflowWorkerEnv);
const steps = createSteps({
  s3: createS3Client({ region: config.AWS_REGION, forcePathStyle: config.S3_FORCE_PATH_STYLE }),
  dataApi: createDataApi(config),
  config: mediaLimitsOf(config),
});

export const handler = (event: unknown) => dispatch(steps, event);

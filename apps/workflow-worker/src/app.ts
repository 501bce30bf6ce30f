import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '@stateless/aws';
import type { workflowWorkerEnv } from '@stateless/config';
import { conventionsPlugin, healthPlugin, serviceOptions } from '@stateless/http-service';
import { AppMetrics } from '@stateless/observability';
import Fastify from 'fastify';
import type { Static } from 'typebox';
import { createDataApi, mediaLimitsOf } from './data-api.ts';
import { invokePlugin, type Steps } from './invoke.ts';
import { createSteps } from './steps/index.ts';

export type WorkflowWorkerConfig = Static<typeof workflowWorkerEnv>;

/** The workflow worker: its steps behind the Lambda Invoke API, errors and health. */
export async function buildApp(config: WorkflowWorkerConfig, stepsOverride?: Steps) {
  const app = Fastify(serviceOptions({ logLevel: config.LOG_LEVEL, bodyLimit: 6 * 1024 * 1024 }));
  const s3 = createS3Client({ region: config.AWS_REGION, forcePathStyle: config.S3_FORCE_PATH_STYLE });
  app.addHook('onClose', async () => s3.destroy());
  await app.register(conventionsPlugin);
  await app.register(healthPlugin, {
    checks: [
      {
        name: 's3',
        critical: true,
        check: () => s3.send(new HeadBucketCommand({ Bucket: config.ASSETS_BUCKET })),
      },
    ],
  });
  const metrics = new AppMetrics('workflow-worker', config.METRICS_NAMESPACE);
  // What each Invoke request measured is written when it is answered, as one Lambda invocation would.
  app.addHook('onResponse', async () => metrics.flush());
  const steps =
    stepsOverride ??
    createSteps({ s3, dataApi: createDataApi(config), config: mediaLimitsOf(config), metrics });
  await app.register(invokePlugin, { steps });
  return app;
}

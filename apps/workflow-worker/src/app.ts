import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '@stateless/aws';
import type { workflowWorkerEnv } from '@stateless/config';
import { conventionsPlugin, healthPlugin, serviceOptions } from '@stateless/http-service';
import Fastify from 'fastify';
import type { Static } from 'typebox';
import { invokePlugin, type StepHandler } from './invoke.ts';

export type WorkflowWorkerConfig = Static<typeof workflowWorkerEnv>;

/**
 * The workflow worker's frame: the Lambda Invoke endpoint, errors and health.
 * The pipeline's steps (inspect, thumbnail, finalize, markFailed) are the next issue.
 */
export async function buildApp(config: WorkflowWorkerConfig, steps: Record<string, StepHandler> = {}) {
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
  await app.register(invokePlugin, { steps });
  return app;
}

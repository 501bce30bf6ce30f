import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { DescribeStateMachineCommand } from '@aws-sdk/client-sfn';
import { createS3Client, createSfnClient } from '@stateless/aws';
import type { uploadServiceEnv } from '@stateless/config';
import { conventionsPlugin, healthPlugin, serviceOptions } from '@stateless/http-service';
import Fastify from 'fastify';
import type { Static } from 'typebox';

export type UploadServiceConfig = Static<typeof uploadServiceEnv>;

/** The upload service. Its upload routes are the next issue; this is its frame: clients, errors, health. */
export async function buildApp(config: UploadServiceConfig) {
  const app = Fastify(serviceOptions({ logLevel: config.LOG_LEVEL }));
  const s3 = createS3Client({ region: config.AWS_REGION, forcePathStyle: config.S3_FORCE_PATH_STYLE });
  const sfn = createSfnClient({ region: config.AWS_REGION });
  app.addHook('onClose', async () => {
    s3.destroy();
    sfn.destroy();
  });
  await app.register(conventionsPlugin);
  await app.register(healthPlugin, {
    checks: [
      {
        name: 's3',
        critical: true,
        check: () => s3.send(new HeadBucketCommand({ Bucket: config.ASSETS_BUCKET })),
      },
      {
        name: 'stepfunctions',
        critical: true,
        check: () => sfn.send(new DescribeStateMachineCommand({ stateMachineArn: config.STATE_MACHINE_ARN })),
      },
    ],
  });
  return app;
}

import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { DescribeStateMachineCommand } from '@aws-sdk/client-sfn';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { authPlugin, createVerifier } from '@stateless/auth';
import { createS3Client, createSfnClient } from '@stateless/aws';
import type { uploadServiceEnv } from '@stateless/config';
import {
  createDataApiInternalClient,
  ErrorBody,
  serviceTokenSource,
  uploadsBasePath,
  uploadsDocsPrefix,
} from '@stateless/contracts';
import {
  conventionsPlugin,
  healthPlugin,
  lambdaInvokePlugin,
  openApiDocs,
  serviceOptions,
} from '@stateless/http-service';
import { AppMetrics } from '@stateless/observability';
import Fastify from 'fastify';
import type { Static } from 'typebox';
import { createUploadEventHandler, type UploadEventBatch } from './lib/upload-events.ts';
import { createUploads } from './lib/uploads.ts';
import { uploadsRoutes } from './routes/uploads.ts';

export type UploadServiceConfig = Static<typeof uploadServiceEnv>;

/** The upload service: the Companion S3 routes Uppy calls, health, and (lambda.ts) the upload event handler. */
export async function buildApp(config: UploadServiceConfig) {
  const app = Fastify(
    // A complete names up to 10,000 parts (~1 MiB, what an ALB passes to Lambda); other bodies are small.
    serviceOptions({ logLevel: config.LOG_LEVEL, bodyLimit: 1024 * 1024 }),
  ).withTypeProvider<TypeBoxTypeProvider>();
  app.addSchema(ErrorBody);
  const s3 = createS3Client(
    { region: config.AWS_REGION, forcePathStyle: config.S3_FORCE_PATH_STYLE },
    // Since client-s3 3.729 the SDK signs a CRC32 of the (empty) body into every presigned part
    // URL by default; S3 then refuses the real part (BadDigest). moto does not check it.
    { requestChecksumCalculation: 'WHEN_REQUIRED' },
  );
  const sfn = createSfnClient({ region: config.AWS_REGION });
  app.addHook('onClose', async () => {
    s3.destroy();
    sfn.destroy();
  });
  // CloudWatch EMF (Powertools): what one request counted is written as it ends, so
  // CloudWatch sums over every instance and Lambda container.
  const metrics = new AppMetrics('upload-service', config.METRICS_NAMESPACE);
  app.addHook('onResponse', async () => metrics.flush());
  await app.register(conventionsPlugin);
  await app.register(authPlugin, { verifier: createVerifier(config) });
  await app.register(
    openApiDocs({
      prefix: uploadsDocsPrefix,
      title: 'Stateless upload service',
      description:
        "Uploads straight to S3, signed here: Companion's S3 routes, as Uppy's @uppy/aws-s3 calls them. Bearer JWT required.",
      documentedPrefix: uploadsBasePath,
    }),
  );
  const dataApi = createDataApiInternalClient({
    baseUrl: config.DATA_API_INTERNAL_URL,
    token: serviceTokenSource(config.SERVICE_TOKEN_SECRET, 'upload-service', {
      audience: config.SERVICE_AUDIENCE,
    }),
  });
  await app.register(uploadsRoutes, {
    uploads: createUploads(
      s3,
      dataApi,
      {
        bucket: config.ASSETS_BUCKET,
        urlTtlSeconds: config.UPLOAD_URL_TTL_SECONDS,
        maxFileSize: config.MAX_UPLOAD_BYTES,
      },
      metrics,
    ),
  });
  const handleUploadEvents = createUploadEventHandler({
    dataApi,
    s3,
    sfn,
    stateMachineArn: config.STATE_MACHINE_ARN,
    log: app.log,
  });
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
  return { app, handleUploadEvents };
}

/**
 * The local server: the routes plus the upload function behind the Lambda Invoke API, where
 * the local cloud's SQS event source delivers. In AWS the function is src/lambda.ts and the
 * HTTP app has no invoke route, so no caller can forge an upload event through the ALB.
 */
export async function buildLocalApp(config: UploadServiceConfig) {
  const { app, handleUploadEvents } = await buildApp(config);
  await app.register(lambdaInvokePlugin, {
    handler: (payload) => handleUploadEvents(payload as UploadEventBatch),
  });
  return app;
}

import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createDynamoDbClient, createS3Client, createSfnClient } from '@stateless/aws';
import { type ResourceNames, resourceNames, uploadEvents } from '@stateless/topology';
import { bootstrap, createPipelineStateMachine, createUploadEvents, lambdaArn } from './bootstrap.ts';
import { startMoto } from './moto.ts';
import { freePort } from './ports.ts';
import { type RedisServer, startRedis } from './redis.ts';
import { startSqsEventSource } from './sqs-event-source/index.ts';
import {
  type StepFunctionsServer,
  type StepFunctionsServerOptions,
  startStepFunctionsServer,
} from './stepfunctions/index.ts';

export interface LocalCloudInfo {
  region: string;
  /** moto: S3, DynamoDB, ElastiCache. */
  awsEndpoint: string;
  stepFunctionsEndpoint: string;
  /** Where the Step Functions server sends Lambda Invoke calls. */
  lambdaEndpoint: string;
  redisUrl: string;
  stage: string;
  names: ResourceNames;
  stateMachineArn: string;
  /** S3 "Object Created" events for originals, delivered to the upload function at `lambdaEndpoint`. */
  uploadEventsQueueUrl: string;
  uploadEventsDeadLetterQueueUrl: string;
  /** The environment that points an app or an SDK client at this cloud. */
  env: Record<string, string>;
}

export interface LocalCloud {
  info: LocalCloudInfo;
  /** The private Redis, when this cloud started one (not when given `redisUrl`). */
  redis?: RedisServer;
  stepFunctions: RestartableStepFunctions;
  stop(): Promise<void>;
}

/**
 * The Step Functions server, stoppable and startable on its port as a process restart would be:
 * its executions live in memory, so a stop loses the running ones (AWS keeps them: Step Functions
 * is a managed service whose executions outlive any of its hosts). `start` creates the state
 * machine again.
 */
export interface RestartableStepFunctions {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface LocalCloudOptions {
  stage?: string;
  region?: string;
  logDir?: string;
  /** Use an existing Redis instead of starting one. */
  redisUrl?: string;
  lambdaEndpoint?: string;
  /** Scales Step Functions retry and wait intervals (tests use a small number). */
  retryIntervalScale?: number;
  /** Pollers of the upload events queue (the event source mapping's maximum concurrency). */
  uploadEventPollers?: number;
}

/** Credentials the stand-ins accept; nothing here can reach real AWS. */
const localCredentials = { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };

/** Starts moto, Redis and the Step Functions server, then creates the stage's resources. */
export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const region = options.region ?? 'us-east-1';
  const stage = options.stage ?? 'local';
  const names = resourceNames(stage);
  const lambdaEndpoint = options.lambdaEndpoint ?? `http://127.0.0.1:${await freePort()}`;
  const started: { stop(): Promise<void> }[] = [];
  let delivery: { stop(): Promise<void> } | undefined;
  const stop = async () => {
    // The delivery first: it polls moto and invokes functions.
    await delivery?.stop();
    await Promise.allSettled(started.map((s) => s.stop()));
  };
  try {
    // Each stand-in is stopped with the cloud, even if another one failed to start.
    const track = async <T extends { stop(): Promise<void> }>(starting: Promise<T>) => {
      const service = await starting;
      started.push(service);
      return service;
    };
    const [moto, redis, stepFunctions] = await Promise.all([
      track(startMoto({ logDir: options.logDir })),
      options.redisUrl ? undefined : track(startRedis({ logDir: options.logDir })),
      track(
        startRestartableStepFunctions(names, region, {
          lambdaEndpoint,
          region,
          ...(options.retryIntervalScale !== undefined
            ? { retryIntervalScale: options.retryIntervalScale }
            : {}),
        }),
      ),
    ]);
    const redisUrl = options.redisUrl ?? (redis as RedisServer).url;
    const clientEnv = {
      ...localCredentials,
      AWS_REGION: region,
      AWS_ENDPOINT_URL: moto.url,
      AWS_ENDPOINT_URL_SFN: stepFunctions.url,
      AWS_ENDPOINT_URL_LAMBDA: lambdaEndpoint,
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    const clientConfig = {
      region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    };
    const dynamodb = createDynamoDbClient({ region }, { ...clientConfig, endpoint: moto.url });
    const s3 = createS3Client({ region, forcePathStyle: true }, { ...clientConfig, endpoint: moto.url });
    const sfn = createSfnClient({ region }, { ...clientConfig, endpoint: stepFunctions.url });
    const sqs = new SQSClient({ ...clientConfig, endpoint: moto.url });
    const events = new EventBridgeClient({ ...clientConfig, endpoint: moto.url });
    const { stateMachineArn } = await bootstrap({ dynamodb, s3, sfn }, names, region);
    const queues = await createUploadEvents({ s3, sqs, events }, names);
    for (const client of [dynamodb, s3, sfn, sqs, events]) client.destroy();
    delivery = await startSqsEventSource({
      sqsEndpoint: moto.url,
      queueUrl: queues.uploadEventsQueueUrl,
      lambdaEndpoint,
      functionName: lambdaArn(region, names.uploadFunction),
      region,
      batchSize: uploadEvents.batchSize,
      reportBatchItemFailures: uploadEvents.reportBatchItemFailures,
      ...(options.uploadEventPollers ? { maximumConcurrency: options.uploadEventPollers } : {}),
      log: deliveryLog(options.logDir),
    });
    const info: LocalCloudInfo = {
      region,
      awsEndpoint: moto.url,
      stepFunctionsEndpoint: stepFunctions.url,
      lambdaEndpoint,
      redisUrl,
      stage,
      names,
      stateMachineArn,
      ...queues,
      env: {
        ...clientEnv,
        S3_FORCE_PATH_STYLE: 'true',
        REDIS_URL: redisUrl,
        ASSETS_TABLE: names.assetsTable,
        ASSETS_BUCKET: names.assetsBucket,
        STATE_MACHINE_ARN: stateMachineArn,
      },
    };
    return { info, ...(redis ? { redis } : {}), stepFunctions, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function startRestartableStepFunctions(
  names: ResourceNames,
  region: string,
  options: Omit<StepFunctionsServerOptions, 'port'>,
): Promise<RestartableStepFunctions> {
  let current: StepFunctionsServer | undefined = await startStepFunctionsServer({ ...options, port: 0 });
  const { port, url } = current;
  return {
    url,
    async stop() {
      await current?.close();
      current = undefined;
    },
    async start() {
      if (current) return;
      current = await startStepFunctionsServer({ ...options, port });
      const sfn = createSfnClient(
        { region },
        { region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, endpoint: url },
      );
      try {
        await createPipelineStateMachine(sfn, names, region);
      } finally {
        sfn.destroy();
      }
    },
  };
}

function deliveryLog(logDir: string | undefined) {
  if (!logDir) return undefined;
  mkdirSync(logDir, { recursive: true });
  const file = join(logDir, 'upload-events.log');
  return (line: string) => appendFileSync(file, `${new Date().toISOString()} ${line}\n`);
}

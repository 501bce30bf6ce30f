import {
  CreateTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { type EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  BucketAlreadyOwnedByYou,
  CreateBucketCommand,
  PutBucketCorsCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketVersioningCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { CreateStateMachineCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  assetsTable,
  objectCreatedPattern,
  type ResourceNames,
  type TableDefinition,
  uploadEvents,
} from '@stateless/topology';
import { assetPipelineDefinition } from '@stateless/workflows';

export const localAccount = '000000000000';

export const lambdaArn = (region: string, functionName: string) =>
  `arn:aws:lambda:${region}:${localAccount}:function:${functionName}`;

/** The CreateTable input for a table definition (infra maps the same definition to Terraform). */
export const createTableInput = (name: string, table: TableDefinition) => ({
  TableName: name,
  BillingMode: 'PAY_PER_REQUEST' as const,
  AttributeDefinitions: table.attributes.map((a) => ({ AttributeName: a.name, AttributeType: a.type })),
  KeySchema: table.key.map((k) => ({ AttributeName: k.name, KeyType: k.type })),
  GlobalSecondaryIndexes: table.globalIndexes.length
    ? table.globalIndexes.map((index) => ({
        IndexName: index.name,
        KeySchema: index.key.map((k) => ({ AttributeName: k.name, KeyType: k.type })),
        Projection: { ProjectionType: index.projection },
      }))
    : undefined,
});

export interface UploadEventQueues {
  uploadEventsQueueUrl: string;
  uploadEventsDeadLetterQueueUrl: string;
}

async function createQueue(sqs: SQSClient, name: string, attributes: Record<string, string>) {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  if (!QueueUrl || !Attributes?.QueueArn) throw new Error(`CreateQueue ${name} returned no URL or ARN`);
  return { url: QueueUrl, arn: Attributes.QueueArn };
}

/**
 * The trigger as infra builds it: the bucket sends its events to EventBridge, a rule on the
 * default bus forwards "Object Created" under the originals prefix to a queue, which moves
 * an event it failed to deliver `maxReceiveCount` times to its dead-letter queue.
 * (moto does not enforce the queue policy that lets EventBridge send, so none is set here.)
 */
export async function createUploadEvents(
  clients: { s3: S3Client; sqs: SQSClient; events: EventBridgeClient },
  names: ResourceNames,
): Promise<UploadEventQueues> {
  const deadLetters = await createQueue(clients.sqs, names.uploadEventsDeadLetterQueue, {
    MessageRetentionPeriod: String(uploadEvents.deadLetterRetentionSeconds),
  });
  const queue = await createQueue(clients.sqs, names.uploadEventsQueue, {
    VisibilityTimeout: String(uploadEvents.visibilityTimeoutSeconds),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: deadLetters.arn,
      maxReceiveCount: uploadEvents.maxReceiveCount,
    }),
  });
  await clients.events.send(
    new PutRuleCommand({
      Name: names.uploadEventsRule,
      EventPattern: JSON.stringify(objectCreatedPattern(names.assetsBucket)),
      State: 'ENABLED',
    }),
  );
  await clients.events.send(
    new PutTargetsCommand({
      Rule: names.uploadEventsRule,
      Targets: [{ Id: 'upload-events', Arn: queue.arn }],
    }),
  );
  await clients.s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: names.assetsBucket,
      NotificationConfiguration: { EventBridgeConfiguration: {} },
    }),
  );
  return { uploadEventsQueueUrl: queue.url, uploadEventsDeadLetterQueueUrl: deadLetters.url };
}

/** Creates the stage's table, bucket and state machine; safe to run again. */
export async function bootstrap(
  clients: { dynamodb: DynamoDBClient; s3: S3Client; sfn: SFNClient },
  names: Pick<ResourceNames, 'assetsTable' | 'assetsBucket' | 'assetPipeline' | 'workerFunction'>,
  region: string,
): Promise<{ stateMachineArn: string }> {
  try {
    await clients.dynamodb.send(new CreateTableCommand(createTableInput(names.assetsTable, assetsTable)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await clients.dynamodb
    .send(
      new UpdateTimeToLiveCommand({
        TableName: names.assetsTable,
        TimeToLiveSpecification: { AttributeName: assetsTable.ttlAttribute, Enabled: true },
      }),
    )
    .catch((error: Error) => {
      // Already enabled on a re-run.
      if (!/already enabled/i.test(error.message)) throw error;
    });
  try {
    await clients.s3.send(new CreateBucketCommand({ Bucket: names.assetsBucket }));
  } catch (error) {
    if (!(error instanceof BucketAlreadyOwnedByYou)) throw error;
  }
  // Versioned, as infra's buckets are: an asset keeps the version it was uploaded as (topology's note).
  await clients.s3.send(
    new PutBucketVersioningCommand({
      Bucket: names.assetsBucket,
      VersioningConfiguration: { Status: 'Enabled' },
    }),
  );
  // Browsers upload straight to the bucket, as in AWS (infra/src/web-stack.ts): multipart clients
  // (Uppy) must read each part's ETag. Any origin: the console's local port is not fixed.
  await clients.s3.send(
    new PutBucketCorsCommand({
      Bucket: names.assetsBucket,
      CORSConfiguration: {
        CORSRules: [
          {
            AllowedMethods: ['PUT', 'POST', 'GET', 'HEAD'],
            AllowedOrigins: ['*'],
            AllowedHeaders: ['*'],
            ExposeHeaders: ['ETag'],
            MaxAgeSeconds: 3000,
          },
        ],
      },
    }),
  );
  return createPipelineStateMachine(clients.sfn, names, region);
}

/** The asset pipeline's state machine (idempotent: the same definition returns the same ARN). */
export async function createPipelineStateMachine(
  sfn: SFNClient,
  names: Pick<ResourceNames, 'assetPipeline' | 'workerFunction'>,
  region: string,
) {
  const { stateMachineArn } = await sfn.send(
    new CreateStateMachineCommand({
      name: names.assetPipeline,
      definition: JSON.stringify(assetPipelineDefinition(lambdaArn(region, names.workerFunction))),
      roleArn: `arn:aws:iam::${localAccount}:role/${names.assetPipeline}`,
    }),
  );
  if (!stateMachineArn) throw new Error('CreateStateMachine returned no ARN');
  return { stateMachineArn };
}

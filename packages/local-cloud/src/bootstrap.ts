import {
  CreateTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { BucketAlreadyOwnedByYou, CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateStateMachineCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { assetsTable, type ResourceNames, type TableDefinition } from '@stateless/topology';
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

/** Creates the stage's table, bucket and state machine; safe to run again. */
export async function bootstrap(
  clients: { dynamodb: DynamoDBClient; s3: S3Client; sfn: SFNClient },
  names: ResourceNames,
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
  const { stateMachineArn } = await clients.sfn.send(
    new CreateStateMachineCommand({
      name: names.assetPipeline,
      definition: JSON.stringify(assetPipelineDefinition(lambdaArn(region, names.workerFunction))),
      roleArn: `arn:aws:iam::${localAccount}:role/${names.assetPipeline}`,
    }),
  );
  if (!stateMachineArn) throw new Error('CreateStateMachine returned no ARN');
  return { stateMachineArn };
}

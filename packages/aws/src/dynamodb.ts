import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type AwsOptions, base } from './clients.ts';

// A module of its own (see clients.ts): only a bundle that creates a DynamoDB client holds
// @aws-sdk/lib-dynamodb, which a bundler must otherwise keep and run wherever it is imported.

export const createDynamoDbClient = (options: AwsOptions = {}, extra: DynamoDBClientConfig = {}) =>
  new DynamoDBClient({ ...base(options), ...extra });

/** Document client: plain JS values in and out, `undefined` fields dropped. */
export const createDocumentClient = (options: AwsOptions = {}, client?: DynamoDBClient) =>
  DynamoDBDocumentClient.from(client ?? createDynamoDbClient(options), {
    marshallOptions: { removeUndefinedValues: true },
  });

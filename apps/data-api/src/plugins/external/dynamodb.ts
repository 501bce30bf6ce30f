import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Deps } from '../../deps.ts';

declare module 'fastify' {
  interface FastifyInstance {
    documents: DynamoDBDocumentClient;
  }
}

/** The DynamoDB document client (endpoint from AWS_ENDPOINT_URL when set). */
export default fp(
  async (app: FastifyInstance, { deps }: { deps: Deps }) => {
    app.decorate('documents', deps.documents);
  },
  { name: 'dynamodb', dependencies: ['config'] },
);

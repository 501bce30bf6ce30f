import awsLambdaFastify from '@fastify/aws-lambda';
import { loadEnv, uploadServiceEnv } from '@stateless/config';
import type { ALBEvent, Context } from 'aws-lambda';
import { buildApp } from './app.ts';
import type { UploadEventBatch } from './lib/upload-events.ts';

// Built once per container: clients and the cached service token outlive invocations.
const { app, handleUploadEvents } = await buildApp(loadEnv(uploadServiceEnv));
const serveHttp = awsLambdaFastify<ALBEvent>(app, { decorateRequest: false });

const isSqsBatch = (event: unknown): event is UploadEventBatch =>
  Array.isArray((event as { Records?: unknown } | null)?.Records) &&
  (event as { Records: { eventSource?: unknown }[] }).Records.every(
    (record) => record.eventSource === 'aws:sqs',
  );

/** One function: the ALB's HTTP requests (the Companion routes) and the SQS batches of upload events. */
export const handler = async (event: ALBEvent | UploadEventBatch, context: Context) =>
  isSqsBatch(event) ? handleUploadEvents(event) : serveHttp(event as ALBEvent, context);

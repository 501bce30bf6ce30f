import { randomBytes, randomUUID } from 'node:crypto';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createDocumentClient, createDynamoDbClient, createS3Client, createSfnClient } from '@stateless/aws';
import { tokenCheckDefaults } from '@stateless/config';
import { type CreateAssetBody, mintServiceToken, mintUserToken } from '@stateless/contracts';
import { bootstrap, startEnvironment } from '@stateless/local-cloud';
import type { FastifyInstance } from 'fastify';
import { inject } from 'vitest';
import { buildApps, type DataApiConfig } from '../src/app.ts';
import { swaggerUiDocs } from '../src/plugins/external/swagger-ui.ts';

export const secret = 'test-secret-that-is-at-least-32-characters-long';
/** The service token key: apart from the user token key, as in AWS (SERVICE_TOKEN_SECRET). */
export const serviceSecret = 'test-service-secret-that-is-at-least-32-characters';
export const cursorSecret = 'cursor-secret-that-is-at-least-32-characters';

/** A config for the local cloud of this test run; a unique key prefix keeps test files apart in Redis. */
export function testConfig(overrides: Partial<DataApiConfig> = {}): DataApiConfig {
  const cloud = inject('cloud');
  return {
    AWS_REGION: cloud.region,
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    S3_FORCE_PATH_STYLE: true,
    PORT: 0,
    INTERNAL_PORT: 0,
    ASSETS_TABLE: cloud.names.assetsTable,
    ASSETS_BUCKET: cloud.names.assetsBucket,
    REDIS_URL: cloud.redisUrl,
    ...tokenCheckDefaults,
    AUTH_JWT_SECRET: secret,
    AUTH_AUDIENCE: 'stateless-api',
    SERVICE_TOKEN_SECRET: serviceSecret,
    SERVICE_AUDIENCE: 'stateless-internal',
    CURSOR_SECRET: cursorSecret,
    CACHE_TTL_SECONDS: 60,
    NOT_FOUND_TTL_SECONDS: 5,
    RATE_LIMIT_PER_MINUTE: 100_000,
    REDIS_KEY_PREFIX: `t-${randomBytes(4).toString('hex')}:`,
    REDIS_COMMAND_TIMEOUT_MS: 250,
    DOWNLOAD_URL_TTL_SECONDS: 60,
    PENDING_TTL_SECONDS: 3_600,
    MAX_OPEN_UPLOADS: 100,
    METRICS_NAMESPACE: 'StatelessStack/test',
    ...overrides,
  };
}

/**
 * A table and bucket of the calling file's own (created from the shared definitions,
 * as the local cloud's are), so counts over them (sweeps) are exact whatever other
 * test files do meanwhile. `missingBucket` names a bucket that does not exist: an
 * instance given it fails every S3 call for real.
 */
export function ownStorage(prefix: string) {
  const { region } = inject('cloud');
  const run = randomBytes(4).toString('hex');
  const names = {
    assetsTable: `${prefix}-${run}-assets`,
    assetsBucket: `${prefix}-${run}-assets`,
    assetPipeline: `${prefix}-${run}-pipeline`,
    workerFunction: `${prefix}-${run}-worker`,
  };
  const s3 = createS3Client({ region, forcePathStyle: true });
  const dynamodb = createDynamoDbClient({ region });
  const documents = createDocumentClient({ region }, dynamodb);
  return {
    names,
    config: { ASSETS_TABLE: names.assetsTable, ASSETS_BUCKET: names.assetsBucket },
    missingBucket: `missing-${run}`,
    s3,
    documents,
    async create() {
      const sfn = createSfnClient({ region });
      try {
        await bootstrap({ dynamodb, s3, sfn }, names, region);
      } finally {
        sfn.destroy();
      }
    },
    putObject: (Key: string) =>
      s3.send(new PutObjectCommand({ Bucket: names.assetsBucket, Key, Body: 'bytes' })),
    exists: (Key: string) =>
      s3.send(new HeadObjectCommand({ Bucket: names.assetsBucket, Key })).then(
        () => true,
        () => false,
      ),
    destroy() {
      s3.destroy();
      documents.destroy();
    },
  };
}

export type Instance = Awaited<ReturnType<typeof startInstance>>;

/** One data-api process as server.ts runs it (with Swagger UI): both listeners on free ports over one set of clients. */
export async function startInstance(config: DataApiConfig, listen = true) {
  const apps = await buildApps(config, { docs: swaggerUiDocs });
  const urlOf = async (app: FastifyInstance) => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  };
  const publicUrl = listen ? await urlOf(apps.publicApp) : '';
  const internalUrl = listen ? await urlOf(apps.internalApp) : '';
  return { ...apps, publicUrl, internalUrl };
}

export const uniqueOwner = (label = 'user') => `${label}-${randomUUID()}`;
export const userToken = (userId: string, options = {}) => mintUserToken(secret, userId, options);
export const serviceToken = (name = 'workflow-worker', options = {}) =>
  mintServiceToken(serviceSecret, name, options);

export const newAsset = (ownerId: string, overrides: Partial<CreateAssetBody> = {}): CreateAssetBody => {
  const id = randomUUID();
  return {
    id,
    ownerId,
    originalKey: `originals/${id}`,
    filename: 'photo.png',
    contentType: 'image/png',
    ...overrides,
  };
};

/** fetch with a bearer token and JSON body. */
export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    ...(options.body !== undefined
      ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }
      : {}),
  });
  const text = await response.text();
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies of many shapes
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json, text };
}

export type ServerProcess = Awaited<ReturnType<typeof startServerProcess>>;

let started = 0;

/**
 * src/server.ts as a process, started as the local cloud starts an environment (the one supervisor),
 * with its environment only and unconstrained CPU; everything it prints is kept in `output`.
 */
export async function startServerProcess(env: Record<string, string> = {}) {
  const server = await startEnvironment({
    app: 'data-api',
    name: `data-api-test-${process.pid}-${++started}`,
    env: {
      ...inject('cloud').env,
      LOG_LEVEL: 'info',
      AUTH_JWT_SECRET: secret,
      SERVICE_TOKEN_SECRET: serviceSecret,
      CURSOR_SECRET: cursorSecret,
      REDIS_KEY_PREFIX: `server-test-${randomBytes(4).toString('hex')}:`,
      ...env,
    },
    cpu: null,
    inheritEnv: false,
    captureOutput: true,
  });
  return { ...server, publicUrl: server.urls.public, internalUrl: server.urls.internal as string };
}

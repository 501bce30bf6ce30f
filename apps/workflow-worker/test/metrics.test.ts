import { randomUUID } from 'node:crypto';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '@stateless/aws';
import { loadEnv, workflowWorkerEnv } from '@stateless/config';
import { metricCatalogue } from '@stateless/observability';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { buildApp } from '../src/app.ts';
import { pngDeclaring } from './images.ts';

interface EmfDocument {
  _aws: {
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [field: string]: unknown;
}

const { env } = inject('cloud');
const namespace = `StatelessStack/worker-metrics-${process.pid}`;
const config = loadEnv(workflowWorkerEnv, {
  ...env,
  LOG_LEVEL: 'silent',
  METRICS_NAMESPACE: namespace,
  SERVICE_TOKEN_SECRET: 'metrics-test-secret-that-is-at-least-32-characters',
  // Nothing listens here: a step that needs the data API finds it unreachable.
  DATA_API_INTERNAL_URL: 'http://127.0.0.1:1',
  THUMBNAIL_SIZES: 'small:160',
});
const s3 = createS3Client({ region: config.AWS_REGION, forcePathStyle: true });
const lines: string[] = [];
let app: Awaited<ReturnType<typeof buildApp>>;
let lambda: LambdaClient;

beforeAll(async () => {
  // Publishing is on in this file's process (setup-env turns it off); Powertools reads the
  // variable for each metric with dimensions, so it stays on until the end.
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  app = await buildApp(config);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  lambda = new LambdaClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
});
afterAll(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  lambda?.destroy();
  await app?.close();
  s3.destroy();
});

const invoke = async (payload: unknown) => {
  const response = await lambda.send(
    new InvokeCommand({ FunctionName: 'worker', Payload: new TextEncoder().encode(JSON.stringify(payload)) }),
  );
  return response.FunctionError ? JSON.parse(new TextDecoder().decode(response.Payload)).errorType : 'ok';
};

async function stored(body: Uint8Array) {
  const assetId = `metrics-${randomUUID()}`;
  const key = `originals/${assetId}`;
  const { VersionId: versionId } = await s3.send(
    new PutObjectCommand({ Bucket: config.ASSETS_BUCKET, Key: key, Body: body }),
  );
  return { assetId, bucket: config.ASSETS_BUCKET, key, versionId };
}

/** The EMF documents written so far: what CloudWatch Logs would turn into metrics. */
const documents = () =>
  lines
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfDocument);

/** The data points of `name` whose dimensions are exactly `dimensions` (besides `service`). */
const points = (name: string, dimensions: Record<string, string>) =>
  documents().flatMap((document) => {
    const [metric] = document._aws.CloudWatchMetrics;
    const keys = metric?.Dimensions[0] ?? [];
    const matches =
      metric?.Metrics.some((m) => m.Name === name) &&
      keys.length === Object.keys(dimensions).length + 1 &&
      Object.entries(dimensions).every(([key, value]) => keys.includes(key) && document[key] === value);
    return matches ? [document[name] as number] : [];
  });

describe('step metrics (EMF through Powertools)', () => {
  it('times every step run and counts its failures by step and reason code, exactly', async () => {
    const png = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#345' } })
      .png()
      .toBuffer();
    const size = { name: 'small', maxDimension: 160 };
    expect(await invoke({ step: 'thumbnail', ...(await stored(png)), size })).toBe('ok');
    expect(await invoke({ step: 'thumbnail', ...(await stored(pngDeclaring(50_000, 50_000))), size })).toBe(
      'UnsupportedMedia',
    );
    const { versionId: _inspectReadsTheRecord, ...object } = await stored(png);
    expect(await invoke({ step: 'inspect', ...object })).toBe('DataApiUnavailable');
    // A payload that is no step's input is refused before any step runs: nothing to measure.
    expect(await invoke({ step: 'finalize', assetId: 'x' })).toBe('ValidationError');

    const thumbnailTimes = points('StepDuration', { step: 'thumbnail' });
    expect(thumbnailTimes).toHaveLength(2);
    for (const ms of thumbnailTimes) expect(ms).toBeGreaterThan(0);
    expect(points('StepDuration', { step: 'inspect' })).toHaveLength(1);
    expect(points('StepDuration', { step: 'finalize' })).toHaveLength(0);
    expect(points('StepFailures', { step: 'thumbnail', reason: 'UnsupportedMedia' })).toEqual([1]);
    expect(points('StepFailures', { step: 'inspect', reason: 'DataApiUnavailable' })).toEqual([1]);
    expect(documents()).toHaveLength(5);

    const catalogue = metricCatalogue['workflow-worker'];
    for (const document of documents()) {
      const [metric] = document._aws.CloudWatchMetrics;
      expect(metric?.Namespace).toBe(namespace);
      expect(document.service).toBe('workflow-worker');
      const [{ Name, Unit } = { Name: '', Unit: '' }] = metric?.Metrics ?? [];
      const definition = catalogue[Name as keyof typeof catalogue];
      expect(Unit).toBe(definition.unit);
      // Every dimension value is one the catalogue (and so the dashboard) lists.
      for (const [key, values] of Object.entries(definition.dimensions)) {
        expect(values).toContain(document[key]);
      }
    }
  });
});

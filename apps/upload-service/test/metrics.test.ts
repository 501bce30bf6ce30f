import { randomBytes } from 'node:crypto';
import { loadEnv, uploadServiceEnv } from '@stateless/config';
import { mintUserToken } from '@stateless/contracts';
import { metricCatalogue } from '@stateless/observability';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../src/app.ts';
import { cloud, dataApiUrl, secret, serviceSecret } from './service.ts';

interface EmfDocument {
  _aws: { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string }[] }[] };
  service: string;
  [metric: string]: unknown;
}

const namespace = `StatelessStack/upload-metrics-${process.pid}`;
let app: Awaited<ReturnType<typeof buildApp>>['app'];
let token: string;
const lines: string[] = [];

beforeAll(async () => {
  // Publishing is on for this app only (setup-env turns it off for the others).
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  ({ app } = await buildApp(
    loadEnv(uploadServiceEnv, {
      ...cloud.env,
      LOG_LEVEL: 'silent',
      DATA_API_INTERNAL_URL: dataApiUrl,
      AUTH_JWT_SECRET: secret,
      SERVICE_TOKEN_SECRET: serviceSecret,
      METRICS_NAMESPACE: namespace,
    }),
  ));
  vi.unstubAllEnvs();
  token = await mintUserToken(secret, 'metrics-user');
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
});
afterAll(async () => {
  vi.restoreAllMocks();
  await app?.close();
});

/** The EMF documents written so far: what CloudWatch Logs would turn into metrics. */
const documents = () =>
  lines
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfDocument);
const total = (name: string) => documents().reduce((sum, d) => sum + Number(d[name] ?? 0), 0);

const call = (method: 'GET' | 'POST', url: string, payload?: object) =>
  app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });

describe('CloudWatch metrics (EMF through Powertools)', () => {
  it('counts uploads signed and multipart uploads completed, once each, one EMF line per request that counted', async () => {
    expect((await call('GET', '/uploads/s3/params?filename=a.png&type=image/png')).statusCode).toBe(200);
    // Refused before signing: not counted.
    expect((await call('GET', '/uploads/s3/params?filename=a.html&type=text/html')).statusCode).toBe(415);
    const created = await call('POST', '/uploads/s3/multipart', { filename: 'b.txt', type: 'text/plain' });
    const { key, uploadId } = created.json();
    const base = `/uploads/s3/multipart/${encodeURIComponent(uploadId)}`;
    const q = `key=${encodeURIComponent(key)}`;
    const { url } = (await call('GET', `${base}/1?${q}`)).json();
    const put = await fetch(url, { method: 'PUT', body: randomBytes(100) });
    const parts = [{ PartNumber: 1, ETag: put.headers.get('etag') }];
    expect((await call('POST', `${base}/complete?${q}`, { parts })).statusCode).toBe(200);
    // A repeat answers the same, and is not a second completion.
    expect((await call('POST', `${base}/complete?${q}`, { parts })).statusCode).toBe(200);

    expect(total('UploadsSigned')).toBe(2);
    expect(total('UploadsCompleted')).toBe(1);
    expect(documents()).toHaveLength(3);
    for (const document of documents()) {
      expect(document.service).toBe('upload-service');
      const [directive] = document._aws.CloudWatchMetrics;
      expect(directive?.Namespace).toBe(namespace);
      for (const { Name } of directive?.Metrics ?? []) {
        expect(Object.keys(metricCatalogue['upload-service'])).toContain(Name);
      }
    }
  });
});

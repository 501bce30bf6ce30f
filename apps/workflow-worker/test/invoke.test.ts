import { InvalidRequestContentException, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { StepError } from '../src/invoke.ts';

const config = {
  AWS_REGION: 'us-east-1',
  LOG_LEVEL: 'silent' as const,
  HOST: '127.0.0.1',
  S3_FORCE_PATH_STYLE: true,
  PORT: 0,
  ASSETS_BUCKET: 'unused',
  DATA_API_INTERNAL_URL: 'http://127.0.0.1:1',
  SERVICE_TOKEN_SECRET: 'invoke-test-secret-that-is-at-least-32-characters',
  SERVICE_AUDIENCE: 'stateless-internal',
  THUMBNAIL_SIZES: 'small:160',
  MAX_INPUT_PIXELS: 1000,
  IMAGE_TIMEOUT_SECONDS: 5,
  MAX_UPLOAD_BYTES: 1024,
  METRICS_NAMESPACE: 'StatelessStack/test',
};

const app = await buildApp(config, {
  echo: async (payload) => ({ echoed: payload.value }),
  refuse: async () => {
    throw new StepError('UnsupportedMedia', 'not an image');
  },
});
let lambda: LambdaClient;

beforeAll(async () => {
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  lambda = new LambdaClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});
afterAll(async () => {
  lambda.destroy();
  await app.close();
});

const invoke = async (payload: unknown) => {
  const res = await lambda.send(
    new InvokeCommand({ FunctionName: 'worker', Payload: new TextEncoder().encode(JSON.stringify(payload)) }),
  );
  return { error: res.FunctionError, body: JSON.parse(new TextDecoder().decode(res.Payload)) };
};

describe('Lambda Invoke API, through the real Lambda client', () => {
  it('runs the named step and returns its result', async () => {
    expect(await invoke({ step: 'echo', value: 42 })).toEqual({ error: undefined, body: { echoed: 42 } });
  });

  it('reports a step error as a function error with its errorType', async () => {
    expect(await invoke({ step: 'refuse' })).toEqual({
      error: 'Unhandled',
      body: { errorType: 'UnsupportedMedia', errorMessage: 'not an image' },
    });
  });

  it('reports an unknown step as UnknownStep, never a crash', async () => {
    const { error, body } = await invoke({ step: 'constructor' });
    expect(error).toBe('Unhandled');
    expect(body.errorType).toBe('UnknownStep');
  });

  it('reports a payload that is not an object as a function error', async () => {
    const { error, body } = await invoke([1, 2]);
    expect(error).toBe('Unhandled');
    expect(body.errorType).toBe('ValidationError');
  });

  it('refuses a body that is not JSON with the exception Lambda names', async () => {
    const sent = lambda.send(
      new InvokeCommand({ FunctionName: 'worker', Payload: new TextEncoder().encode('{not json') }),
    );
    await expect(sent).rejects.toBeInstanceOf(InvalidRequestContentException);
    await expect(sent).rejects.toMatchObject({ $metadata: { httpStatusCode: 400 } });
  });
});

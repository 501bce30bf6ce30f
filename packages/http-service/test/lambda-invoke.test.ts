import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conventionsPlugin, lambdaInvokePlugin, serviceOptions } from '../src/index.ts';

/** The local cloud's credentials: the only ones the invoke entry accepts. */
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const invoked: unknown[] = [];
const app = Fastify(serviceOptions({ logLevel: 'silent', bodyLimit: 10_000 }));
await app.register(conventionsPlugin);
await app.register(lambdaInvokePlugin, {
  credentials,
  handler: async (payload, functionName) => {
    invoked.push(payload);
    return { functionName, payload };
  },
});
let url: string;

beforeAll(async () => {
  url = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => app.close());

/** The AWS SDK's own client, signing with the given credentials and clock offset. */
const invokeWith = async (
  signedBy: { accessKeyId: string; secretAccessKey: string },
  options: { systemClockOffset?: number } = {},
) => {
  const lambda = new LambdaClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: signedBy,
    maxAttempts: 1,
    ...(options.systemClockOffset ? { systemClockOffset: options.systemClockOffset } : {}),
  });
  try {
    const res = await lambda.send(
      new InvokeCommand({
        FunctionName: functionArn,
        Qualifier: '$LATEST',
        Payload: event('originals/a'),
      }),
    );
    return { status: res.StatusCode, body: JSON.parse(new TextDecoder().decode(res.Payload)) };
  } catch (error) {
    const { name, message, $metadata } = error as Error & { $metadata: { httpStatusCode?: number } };
    return { status: $metadata.httpStatusCode, name, message };
  } finally {
    lambda.destroy();
  }
};

const functionArn = 'arn:aws:lambda:us-east-1:000000000000:function:local-upload-service';
const event = (key: string) => new TextEncoder().encode(JSON.stringify({ Records: [{ key }] }));

/** The request the SDK would send, signed, without sending it. */
const signedRequest = async () => {
  let captured: { path: string; query: Record<string, string>; headers: Record<string, string> } | undefined;
  const lambda = new LambdaClient({
    endpoint: url,
    region: 'us-east-1',
    credentials,
    maxAttempts: 1,
    requestHandler: {
      handle: async (request: NonNullable<typeof captured>) => {
        captured = request;
        throw new Error('captured');
      },
    },
  });
  await lambda
    .send(new InvokeCommand({ FunctionName: functionArn, Payload: event('originals/a') }))
    .catch(() => {});
  lambda.destroy();
  if (!captured) throw new Error('the client sent nothing');
  const { host: _host, 'content-length': _length, ...headers } = captured.headers;
  return { url: `${url}${captured.path}?${new URLSearchParams(captured.query)}`, headers };
};

describe('the local Lambda Invoke entry requires the local credentials, as Lambda requires IAM', () => {
  it('runs an invocation signed with them (an ARN and a qualifier in the URL)', async () => {
    expect(await invokeWith(credentials)).toEqual({
      status: 200,
      body: {
        functionName: functionArn,
        payload: { Records: [{ key: 'originals/a' }] },
      },
    });
  });

  it('answers an unsigned request 403 in Lambda error shape, without reaching the function', async () => {
    invoked.length = 0;
    // A forged Object Created event, as a local process or a web page's form post sends it.
    for (const contentType of ['application/json', 'text/plain']) {
      const res = await fetch(`${url}/2015-03-31/functions/local-upload-service/invocations`, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: JSON.stringify({ Records: [{ body: '{"detail-type":"Object Created"}' }] }),
      });
      expect(res.status).toBe(403);
      expect(res.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
      expect(await res.json()).toEqual({ Type: 'User', message: 'Missing Authentication Token' });
    }
    // A malformed body is not even parsed before the caller is known.
    const garbage = await fetch(`${url}/2015-03-31/functions/x/invocations`, { method: 'POST', body: '{' });
    expect(garbage.status).toBe(403);
    expect(invoked).toEqual([]);
  });

  it('refuses a wrong secret, another access key, a changed body and an old signature', async () => {
    invoked.length = 0;
    const wrongSecret = await invokeWith({ accessKeyId: 'local', secretAccessKey: 'guessed' });
    expect(wrongSecret).toMatchObject({ status: 403, name: 'InvalidSignatureException' });
    expect(wrongSecret.message).toMatch(/signature we calculated does not match/);
    expect(await invokeWith({ accessKeyId: 'AKIDOTHER', secretAccessKey: 'local' })).toMatchObject({
      status: 403,
      name: 'UnrecognizedClientException',
    });
    // Another object's event (same length) under a valid signature, then the signed one itself.
    const signed = await signedRequest();
    const replay = (body: Uint8Array) => fetch(signed.url, { method: 'POST', headers: signed.headers, body });
    const tampered = await replay(event('originals/b'));
    expect(tampered.status).toBe(403);
    expect(tampered.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
    expect(invoked).toEqual([]);
    expect((await replay(event('originals/a'))).status).toBe(200);
    invoked.length = 0;
    expect(await invokeWith(credentials, { systemClockOffset: -10 * 60 * 1000 })).toMatchObject({
      status: 403,
      name: 'InvalidSignatureException',
      message: expect.stringMatching(/Signature expired/),
    });
    const forgedHeader = await fetch(`${url}/2015-03-31/functions/x/invocations`, {
      method: 'POST',
      headers: { authorization: 'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/lambda/aws4_request' },
      body: '{}',
    });
    expect(forgedHeader.status).toBe(403);
    expect(invoked).toEqual([]);
  });
});

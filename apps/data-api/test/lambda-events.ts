import type { ALBEvent, Context } from 'aws-lambda';

/** Target group ARNs as the ALBs send them in `requestContext.elb`. */
export const targetGroups = {
  public:
    'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/dev-data-api-public/0a1b2c3d4e5f6a7b',
  internal:
    'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/dev-data-api-internal/7b6a5f4e3d2c1b0a',
};

export const traceId = 'Root=1-67a1b2c3-0123456789abcdef01234567';

/** An ALB request event (single-value headers, as the target groups are configured). */
export function albEvent(
  targetGroupArn: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown } = {},
): ALBEvent {
  return {
    requestContext: { elb: { targetGroupArn } },
    httpMethod: method,
    path,
    queryStringParameters: {},
    headers: {
      host: 'data-api.example.com',
      'user-agent': 'vitest',
      'x-amzn-trace-id': traceId,
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: options.body === undefined ? '' : JSON.stringify(options.body),
    isBase64Encoded: false,
  };
}

/** A Lambda context with `remainingMs` left of the invocation. */
export function lambdaContext(remainingMs = 60_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'dev-data-api',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:dev-data-api',
    memoryLimitInMB: '512',
    awsRequestId: '0f0e0d0c-0b0a-4909-8807-060504030201',
    logGroupName: '/aws/lambda/dev-data-api',
    logStreamName: '2025/01/01/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

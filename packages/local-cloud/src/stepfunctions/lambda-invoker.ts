import { InvokeCommand, LambdaClient, LambdaServiceException } from '@aws-sdk/client-lambda';
import { TaskFailure } from './task-errors.ts';

export interface InvokeRequest {
  functionName: string;
  /** Sent as the request body; undefined sends none. */
  payload?: string;
  qualifier?: string;
  invocationType?: 'RequestResponse' | 'Event' | 'DryRun';
  clientContext?: string;
  logType?: 'None' | 'Tail';
}

export interface InvokeResult {
  statusCode: number;
  functionError?: string;
  payloadText: string;
  executedVersion?: string;
  requestId?: string;
}

/**
 * The local cloud's credentials (cloud.ts gives every app the same, as AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY). A function's local invoke entry accepts only requests signed with them,
 * as Lambda requires IAM, so every caller of Invoke signs with these.
 */
export const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * Calls the Lambda Invoke API of the configured local endpoint. Without an endpoint it
 * refuses to call anything: the default SDK endpoint would be real AWS.
 */
export class LambdaInvoker {
  private readonly client: LambdaClient | undefined;

  constructor(endpoint: string | undefined, region: string) {
    this.client = endpoint
      ? new LambdaClient({
          endpoint,
          region,
          credentials: localCredentials,
          // One try per task attempt: the state machine's Retry decides about retries, as in AWS.
          maxAttempts: 1,
        })
      : undefined;
  }

  /** Resolves with the function's response (including function errors); throws `TaskFailure` otherwise. */
  async invoke(request: InvokeRequest, signal: AbortSignal): Promise<InvokeResult> {
    if (!this.client) {
      throw new TaskFailure(
        'Lambda.SdkClientException',
        'No local Lambda endpoint is configured (lambdaEndpoint option or AWS_ENDPOINT_URL_LAMBDA)',
      );
    }
    const command = new InvokeCommand({
      FunctionName: request.functionName,
      Payload: request.payload === undefined ? undefined : new TextEncoder().encode(request.payload),
      Qualifier: request.qualifier,
      InvocationType: request.invocationType,
      ClientContext: request.clientContext,
      LogType: request.logType,
    });
    try {
      const response = await this.client.send(command, { abortSignal: signal });
      return {
        statusCode: response.StatusCode ?? 200,
        functionError: response.FunctionError,
        payloadText: response.Payload ? new TextDecoder().decode(response.Payload) : '',
        executedVersion: response.ExecutedVersion,
        requestId: response.$metadata.requestId,
      };
    } catch (error) {
      if (signal.aborted) throw error;
      throw toTaskFailure(error);
    }
  }

  destroy(): void {
    this.client?.destroy();
  }
}

/** Names service and transport errors the way Step Functions reports them (`Lambda.<Exception>`). */
function toTaskFailure(error: unknown): TaskFailure {
  if (error instanceof LambdaServiceException) {
    const status = error.$metadata.httpStatusCode ?? 500;
    const modelled = error.name !== 'LambdaServiceException' && /^[A-Za-z]+Exception$/.test(error.name);
    const code = modelled ? error.name : status >= 500 ? 'ServiceException' : 'AWSLambdaException';
    const requestId = error.$metadata.requestId ?? 'unknown';
    return new TaskFailure(
      `Lambda.${code}`,
      `${error.message} (Service: AWSLambda; Status Code: ${status}; Error Code: ${error.name}; Request ID: ${requestId})`,
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new TaskFailure('Lambda.SdkClientException', `Unable to execute HTTP request: ${message}`);
}

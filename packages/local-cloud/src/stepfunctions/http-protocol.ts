import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SfnApiError, serializationError, unknownOperation } from './errors.ts';
import type { RequestBody } from './request-fields.ts';
import type { StepFunctionsService } from './service.ts';

const TARGET_PREFIX = 'AWSStepFunctions.';
const CONTENT_TYPE = 'application/x-amz-json-1.0';
// Largest legitimate body is a 1 MiB definition; JSON escaping can grow it.
const MAX_BODY_BYTES = 4 * 1024 * 1024;

type Operation = (service: StepFunctionsService, body: RequestBody) => unknown;

const operations: Record<string, Operation> = {
  CreateStateMachine: (service, body) => service.createStateMachine(body),
  UpdateStateMachine: (service, body) => service.updateStateMachine(body),
  DescribeStateMachine: (service, body) => service.describeStateMachine(body),
  ListStateMachines: (service, body) => service.listStateMachines(body),
  DeleteStateMachine: (service, body) => service.deleteStateMachine(body),
  StartExecution: (service, body) => service.startExecution(body),
  DescribeExecution: (service, body) => service.describeExecution(body),
  ListExecutions: (service, body) => service.listExecutions(body),
  StopExecution: (service, body) => service.stopExecution(body),
  GetExecutionHistory: (service, body) => service.getExecutionHistory(body),
};

/** Serves one AWS JSON 1.0 request. Never rejects: every failure becomes an AWS error response. */
export async function handleRequest(
  service: StepFunctionsService,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const requestId = randomUUID();
  try {
    if (request.method !== 'POST') {
      throw new SfnApiError('UnknownOperationException', `Method ${request.method} is not supported`, 404);
    }
    const target = headerValue(request, 'x-amz-target') ?? '';
    const operation = target.startsWith(TARGET_PREFIX)
      ? operations[target.slice(TARGET_PREFIX.length)]
      : undefined;
    const body = parseBody(await readBody(request));
    if (!operation) throw unknownOperation(target);
    const result = await operation(service, body);
    send(response, 200, requestId, result);
  } catch (error) {
    sendError(response, requestId, error);
  }
}

/** The one place API errors become wire responses. */
function sendError(response: ServerResponse, requestId: string, error: unknown): void {
  if (error instanceof SfnApiError) {
    send(response, error.statusCode, requestId, { __type: error.code, message: error.message }, error.code);
    return;
  }
  console.error('[stepfunctions] internal error', error);
  send(
    response,
    500,
    requestId,
    { __type: 'InternalFailure', message: 'Internal server error' },
    'InternalFailure',
  );
}

function send(
  response: ServerResponse,
  status: number,
  requestId: string,
  body: unknown,
  errorType?: string,
): void {
  if (response.headersSent) return;
  const text = JSON.stringify(body ?? {});
  response.writeHead(status, {
    'content-type': CONTENT_TYPE,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': requestId,
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  response.end(text);
}

function parseBody(text: string): RequestBody {
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw serializationError('Malformed JSON request body');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw serializationError('The request body must be a JSON object');
  }
  return parsed as RequestBody;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new SfnApiError('ValidationException', 'Request body too large', 413);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

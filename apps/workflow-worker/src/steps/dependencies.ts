import { DataApiError } from '@stateless/contracts';
import type { RetryableError } from '@stateless/workflows';
import { StepError } from '../invoke.ts';

/** fetch rejects with TypeError "fetch failed" when refused or reset; AbortSignal.timeout with TimeoutError. */
const isTransport = (error: Error) =>
  error.name === 'TimeoutError' || (error.name === 'TypeError' && error.message === 'fetch failed');

/** The data API is down for now (5xx, 429, unreachable, too slow), rather than answering no. */
export function isDataApiDown(error: unknown): boolean {
  if (error instanceof DataApiError) return error.status >= 500 || error.status === 429;
  return error instanceof Error && isTransport(error);
}

const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

/**
 * S3 is down for now: a 5xx or throttling answer (after the SDK's own retries), or the
 * connection failed. A 4xx (NoSuchKey is already ObjectMissing) and our own errors are not.
 */
export function isStorageDown(error: unknown): boolean {
  if (!(error instanceof Error) || error instanceof StepError) return false;
  const { $metadata, $retryable, code } = error as Error & {
    $metadata?: { httpStatusCode?: number };
    $retryable?: unknown;
    code?: string;
  };
  return (
    ($metadata?.httpStatusCode ?? 0) >= 500 ||
    $retryable !== undefined ||
    networkCodes.has(code ?? '') ||
    error.name === 'TimeoutError'
  );
}

/**
 * Runs a step, turning a dependency that is down for now into a retryable errorType, so the
 * state machine waits for it (the definition's dependency retrier) instead of failing the asset.
 */
const retryableWhen =
  (errorType: RetryableError, dependency: string, isDown: (error: unknown) => boolean) =>
  async <T>(step: () => Promise<T>): Promise<T> => {
    try {
      return await step();
    } catch (error) {
      if (!isDown(error)) throw error;
      throw new StepError(errorType, `${dependency} is unavailable: ${(error as Error).message}`, {
        cause: error,
      });
    }
  };

/** Steps that talk to the data API: a 4xx is an answer and stays what it was. */
export const whileDataApiUp = retryableWhen('DataApiUnavailable', 'The data API', isDataApiDown);

/** Steps that read or write S3. */
export const whileStorageUp = retryableWhen('StorageUnavailable', 'S3', isStorageDown);

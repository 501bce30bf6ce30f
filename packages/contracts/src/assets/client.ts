import type { ErrorBody, ErrorCode } from '../errors.ts';
import type {
  CreateAssetBody,
  InternalAsset,
  Metrics,
  MoveStatusBody,
  RecordResultsBody,
  SweepDeletedBody,
  SweepDeletedResult,
} from './schemas.ts';

/**
 * Names the user a service calls the internal routes for: the data API then counts the call
 * against that user's rate limit, as it counts the user's own requests to the public routes.
 */
export const onBehalfOfHeader = 'x-on-behalf-of';

/** A non-2xx answer from the data API; `body` is the contracts error shape. */
export class DataApiError extends Error {
  readonly code: ErrorCode;

  constructor(
    readonly status: number,
    readonly body: ErrorBody,
    /** The answer's `retry-after` (a 429's), to pass on to the caller. */
    readonly retryAfter?: string,
  ) {
    super(`data-api answered ${status} ${body.error.code}: ${body.error.message}`);
    this.name = 'DataApiError';
    this.code = body.error.code;
  }
}

type Lazy<T> = T | (() => T | Promise<T>);
const resolve = async <T>(value: Lazy<T>): Promise<T> =>
  typeof value === 'function' ? (value as () => T | Promise<T>)() : value;

export interface DataApiInternalClientOptions {
  /** The internal entry, e.g. `http://internal-alb:80` (no trailing path). */
  baseUrl: string;
  /** A service token (audience SERVICE_AUDIENCE), or a function returning a fresh one. */
  token: Lazy<string>;
  fetch?: typeof fetch;
  /** Sent as `x-request-id`, so one request can be followed across services. */
  requestId?: Lazy<string | undefined>;
  timeoutMs?: number;
}

export type DataApiInternalClient = ReturnType<typeof createDataApiInternalClient>;

/** The typed client the other services use to reach the data API's internal routes. */
export function createDataApiInternalClient(options: DataApiInternalClientOptions) {
  const doFetch = options.fetch ?? globalThis.fetch;
  const base = options.baseUrl.replace(/\/+$/, '');
  const path = (id: string) => `/internal/assets/${encodeURIComponent(id)}`;

  async function call<T>(
    method: string,
    url: string,
    body?: unknown,
    onBehalfOf?: string,
  ): Promise<{ status: number; data: T }> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${await resolve(options.token)}`,
      accept: 'application/json',
    };
    if (onBehalfOf !== undefined) headers[onBehalfOfHeader] = onBehalfOf;
    const requestId = options.requestId === undefined ? undefined : await resolve(options.requestId);
    if (requestId) headers['x-request-id'] = requestId;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await doFetch(`${base}${url}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const errorBody: ErrorBody =
        parsed && typeof parsed === 'object' && 'error' in parsed
          ? (parsed as ErrorBody)
          : { error: { code: 'UnexpectedResponse', message: text.slice(0, 200) || response.statusText } };
      throw new DataApiError(response.status, errorBody, response.headers.get('retry-after') ?? undefined);
    }
    return { status: response.status, data: parsed as T };
  }

  return {
    /**
     * Idempotent on `id`: `created` is false when the same record already existed. `onBehalfOf`
     * (here and below): the user whose request this is (`onBehalfOfHeader`).
     */
    async createAsset(
      body: CreateAssetBody,
      onBehalfOf?: string,
    ): Promise<{ asset: InternalAsset; created: boolean }> {
      const { status, data } = await call<InternalAsset>('POST', '/internal/assets', body, onBehalfOf);
      return { asset: data, created: status === 201 };
    },
    async getAsset(id: string, onBehalfOf?: string): Promise<InternalAsset> {
      return (await call<InternalAsset>('GET', path(id), undefined, onBehalfOf)).data;
    },
    /** An aborted upload: its PENDING record expires now, so it is no longer an open upload. */
    async expireUpload(id: string): Promise<void> {
      await call('POST', `${path(id)}/expire`);
    },
    async recordResults(id: string, body: RecordResultsBody): Promise<InternalAsset> {
      return (await call<InternalAsset>('PUT', `${path(id)}/results`, body)).data;
    },
    /** Illegal moves fail with a DataApiError of status 409; repeating the current status is a no-op. */
    async moveStatus(id: string, body: MoveStatusBody): Promise<InternalAsset> {
      return (await call<InternalAsset>('POST', `${path(id)}/status`, body)).data;
    },
    async metrics(): Promise<Metrics> {
      return (await call<Metrics>('GET', '/internal/metrics')).data;
    },
    /**
     * Removes the S3 objects of up to `limit` (default 25) deleted assets still flagged for
     * cleanup, oldest first. Safe to call from several places at once.
     */
    async sweepDeleted(body: SweepDeletedBody = {}): Promise<SweepDeletedResult> {
      return (await call<SweepDeletedResult>('POST', '/internal/maintenance/sweep-deleted', body)).data;
    },
  };
}

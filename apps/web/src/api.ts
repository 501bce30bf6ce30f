import type { Asset, AssetPage, DownloadLink, ErrorBody } from '@stateless/contracts';

/** A failed call, sorted into what the person can do about it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get kind(): 'expired' | 'rate-limited' | 'unavailable' | 'conflict' | 'other' {
    if (this.status === 401) return 'expired';
    if (this.status === 429) return 'rate-limited';
    if (this.status === 412) return 'conflict';
    if (this.status === 0 || this.status >= 500) return 'unavailable';
    return 'other';
  }
}

/** The identity provider sent the person back without signing them in (cancelled, refused). */
export class SignInError extends Error {
  override name = 'SignInError';
}

/** What a person reads for an error: what happened and what to do next. */
export function explain(error: unknown): string {
  if (error instanceof SignInError) return error.message;
  if (!(error instanceof ApiError)) return `Something went wrong: ${(error as Error)?.message ?? error}`;
  switch (error.kind) {
    case 'expired':
      return 'Your session has expired or is not valid. Sign in again.';
    case 'rate-limited':
      return `Too many requests. Try again in ${error.retryAfterSeconds ?? 60} s.`;
    case 'unavailable':
      return error.status === 0
        ? 'The asset service cannot be reached. Check your connection; the console keeps trying.'
        : `The asset service is unavailable right now (HTTP ${error.status}). The console keeps trying.`;
    default:
      return error.message;
  }
}

export type TokenSource = () => string | undefined;

export interface Response<T> {
  data: T;
  etag: string | undefined;
}

/** The data API, same origin as the console (`/assets`). */
export function createApi(token: TokenSource) {
  async function call<T>(
    method: string,
    path: string,
    init: { body?: unknown; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
    const bearer = token();
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    let response: globalThis.Response;
    try {
      response = await fetch(path, {
        method,
        headers,
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
        cache: 'no-store',
      });
    } catch {
      throw new ApiError(0, 'Unreachable', 'The asset service cannot be reached');
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const body = (parsed as ErrorBody | undefined)?.error;
      const retryAfter = Number(response.headers.get('retry-after'));
      throw new ApiError(
        response.status,
        body?.code ?? 'UnexpectedResponse',
        body?.message ?? `HTTP ${response.status}`,
        Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
      );
    }
    return { data: parsed as T, etag: response.headers.get('etag') ?? undefined } satisfies Response<T>;
  }

  const path = (id: string) => `/assets/${encodeURIComponent(id)}`;
  return {
    list: (cursor?: string, limit = 12) =>
      call<AssetPage>(
        'GET',
        `/assets?${new URLSearchParams({ limit: String(limit), ...(cursor ? { cursor } : {}) })}`,
      ),
    get: (id: string) => call<Asset>('GET', path(id)),
    update: (
      id: string,
      etag: string,
      changes: { title?: string | null; description?: string | null; tags?: string[] },
    ) => call<Asset>('PATCH', path(id), { body: changes, headers: { 'if-match': etag } }),
    remove: (id: string) => call<null>('DELETE', path(id)),
    download: (id: string) => call<DownloadLink>('GET', `${path(id)}/download`),
    thumbnail: (id: string, name: string) =>
      call<DownloadLink>('GET', `${path(id)}/thumbnails/${encodeURIComponent(name)}/download`),
  };
}

export type Api = ReturnType<typeof createApi>;

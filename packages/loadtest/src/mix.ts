import type { SeededAsset } from './stores.ts';

/** The kinds of request a load run mixes, with the route each one exercises. */
export const routeOf = {
  get: 'GET /assets/:id (Zipf)',
  cold: 'GET /assets/:id (cold tail)',
  list: 'GET /assets (pages)',
  patch: 'PATCH /assets/:id (If-Match)',
  refresh: 'GET /assets/:id (ETag refresh)',
} as const;
export type Kind = keyof typeof routeOf;
export type MixKind = Exclude<Kind, 'refresh'>;
export type Mix = Record<MixKind, number>;

/** Read-heavy, as an asset API is: most reads hit the cache; lists, edits and misses go to DynamoDB. */
export const defaultMix: Mix = { get: 88, cold: 1, list: 6, patch: 5 };
export const readOnlyMix: Mix = { get: 100, cold: 0, list: 0, patch: 0 };

/** `get=70,list=20,patch=10`: weights per kind (kinds not named weigh 0). */
export function parseMix(text: string): Mix {
  const mix: Mix = { get: 0, cold: 0, list: 0, patch: 0 };
  for (const part of text.split(',')) {
    const [kind, weight] = part.split('=');
    if (!kind || !(kind in mix) || weight === undefined || !/^\d+(\.\d+)?$/.test(weight)) {
      throw new Error(`--mix: "${part}" is not kind=weight with kind one of ${Object.keys(mix).join(', ')}`);
    }
    mix[kind as MixKind] = Number(weight);
  }
  if (Object.values(mix).every((w) => w === 0)) throw new Error('--mix: every weight is 0');
  return mix;
}

/** Zipf(s) over n ranks: a few assets get most reads, as in real traffic. */
export function zipfSampler(n: number, s: number, random = Math.random) {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) total += 1 / (k + 1) ** s;
  let acc = 0;
  for (let k = 0; k < n; k++) {
    acc += 1 / (k + 1) ** s / total;
    cdf[k] = acc;
  }
  return () => {
    const u = random();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cdf[mid] as number) < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export function kindSampler(mix: Mix, random = Math.random) {
  const entries = Object.entries(mix).filter(([, w]) => w > 0) as [MixKind, number][];
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  return (): MixKind => {
    let u = random() * total;
    for (const [kind, weight] of entries) {
      u -= weight;
      if (u < 0) return kind;
    }
    return (entries[entries.length - 1] as [MixKind, number])[0];
  };
}

export interface PlannedRequest {
  kind: Kind;
  method: 'GET' | 'PATCH';
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** The asset an edit is about; its entry goes back to the pool when the answer comes. */
  edit?: EditEntry;
  /** Whose list page this is (a cursor is only valid with its owner's token). */
  owner?: string;
}

interface EditEntry extends SeededAsset {
  /** The ETag last answered for it; undefined after a 412 until a GET refreshes it. */
  etag: string | undefined;
  /** A PATCH answered 412: the title it sent and the version it was conditional on, judged at the next read. */
  refused?: { title: string; version: number };
}

export interface PlanInput {
  mix: Mix;
  /** Read with a Zipf distribution (rank 0 the hottest). */
  hot: SeededAsset[];
  /** Read in order, each once, for the uncached path (x-cache tells how many were misses); wraps when used up. */
  cold: SeededAsset[];
  /** Edited only by this run, one request at a time each, so an If-Match conflict means a real bug. */
  edit: SeededAsset[];
  tokens: Record<string, string>;
  zipfExponent?: number;
  random?: () => number;
}

/**
 * Decides each next request of a load run and learns from each answer
 * (ETags for the next edit, cursors for the next page, acknowledged versions).
 * Connections share it; autocannon calls it synchronously, one request at a time.
 */
export class RequestPlanner {
  private readonly nextKind: () => MixKind;
  private readonly rank: () => number;
  private coldNext = 0;
  /** Editable assets whose ETag is known, oldest edit first: the next edit goes to one of these. */
  private readonly ready: EditEntry[] = [];
  /** Editable assets whose ETag must be read first (never read, or the last edit was refused). */
  private readonly stale: EditEntry[];
  private readonly cursors: { owner: string; cursor: string }[] = [];
  private readonly owners: string[];
  private listTurn = 0;
  private editCount = 0;
  /** asset id → the version its last 2xx write answer acknowledged. */
  readonly acknowledged: Record<string, number> = {};
  /**
   * PATCHes answered 412 whose write had landed: the load balancer resent them after the instance
   * that applied them died before answering, and the If-Match condition refused the second apply.
   */
  lostAnswers = 0;

  constructor(private readonly input: PlanInput) {
    if (input.hot.length === 0) throw new Error('the load mix needs at least one asset to read');
    this.nextKind = kindSampler(input.mix, input.random);
    this.rank = zipfSampler(input.hot.length, input.zipfExponent ?? 1.1, input.random);
    // The first edit of each asset reads its ETag first: the run need not know where an earlier one left it.
    this.stale = input.edit.map((a) => ({ ...a, etag: undefined }));
    this.owners = Object.keys(input.tokens);
  }

  private auth(owner: string) {
    return { authorization: `Bearer ${this.input.tokens[owner]}` };
  }

  next(): PlannedRequest {
    let kind: Kind = this.nextKind();
    if (kind === 'cold' && this.input.cold.length === 0) kind = 'get';
    if (kind === 'patch') {
      // Known ETags first, so a slow run still edits instead of only ever reading fresh ETags.
      const entry = this.ready.shift() ?? this.stale.pop();
      if (entry) return this.edit(entry);
      kind = 'get'; // every editable asset has an edit in flight
    }
    if (kind === 'list') return this.list();
    const asset =
      kind === 'cold'
        ? (this.input.cold[this.coldNext++ % this.input.cold.length] as SeededAsset)
        : (this.input.hot[this.rank()] as SeededAsset);
    return { kind, method: 'GET', path: `/assets/${asset.id}`, headers: this.auth(asset.ownerId) };
  }

  private list(): PlannedRequest {
    // Half the list requests follow a cursor an earlier page returned: deep pages too, not only the first.
    const follow = this.listTurn++ % 2 === 1 ? this.cursors.shift() : undefined;
    const owner = follow?.owner ?? (this.owners[this.listTurn % this.owners.length] as string);
    const query = follow ? `?limit=20&cursor=${encodeURIComponent(follow.cursor)}` : '?limit=20';
    return { kind: 'list', method: 'GET', path: `/assets${query}`, headers: this.auth(owner), owner };
  }

  private edit(entry: EditEntry): PlannedRequest {
    const path = `/assets/${entry.id}`;
    if (entry.etag === undefined)
      return { kind: 'refresh', method: 'GET', path, headers: this.auth(entry.ownerId), edit: entry };
    return {
      kind: 'patch',
      method: 'PATCH',
      path,
      headers: { ...this.auth(entry.ownerId), 'content-type': 'application/json', 'if-match': entry.etag },
      body: JSON.stringify({ title: `Edited ${++this.editCount}` }),
      edit: entry,
    };
  }

  /**
   * What the answer to `request` teaches the next requests; returns the problem when the answer
   * is one the run must count as failed.
   */
  answered(
    request: PlannedRequest,
    status: number,
    headers: Record<string, string | undefined>,
    body: string,
  ): string | undefined {
    const failed = `${request.method} ${request.path} → ${status} ${body.slice(0, 200)}`;
    let problem = status >= 200 && status <= 299 ? undefined : failed;
    const { edit } = request;
    if (edit) {
      edit.etag = status === 200 ? headers.etag : undefined;
      if (request.kind === 'patch' && status === 200) {
        const version = versionOf(headers.etag);
        if (version !== undefined) this.acknowledged[edit.id] = version;
      }
      if (request.kind === 'patch' && status === 412) {
        // Only this run edits the asset, so a 412 means our own write landed once already; the next read says.
        const version = versionOf(request.headers['if-match']);
        const { title } = JSON.parse(request.body ?? '{}') as { title?: string };
        if (version !== undefined && title !== undefined) {
          edit.refused = { title, version };
          problem = undefined;
        }
      } else if (request.kind === 'refresh' && edit.refused && status === 200) {
        const stored = JSON.parse(body) as { title?: string; version?: number };
        const { refused } = edit;
        edit.refused = undefined;
        if (stored.title === refused.title && stored.version === refused.version + 1) {
          this.lostAnswers++;
          this.acknowledged[edit.id] = stored.version;
        } else {
          problem = `PATCH ${request.path} (If-Match "v${refused.version}") → 412, but v${stored.version} holds ${JSON.stringify(stored.title)}, not that edit`;
        }
      }
      (edit.etag === undefined ? this.stale : this.ready).push(edit);
    }
    if (request.kind === 'list' && status === 200 && this.cursors.length < 1_000) {
      const cursor = (JSON.parse(body) as { nextCursor?: string | null }).nextCursor;
      if (cursor) this.cursors.push({ owner: request.owner as string, cursor });
    }
    return problem;
  }
}

const versionOf = (etag: string | undefined) => {
  const version = Number(/^"v(\d+)"$/.exec(etag ?? '')?.[1]);
  return Number.isInteger(version) ? version : undefined;
};

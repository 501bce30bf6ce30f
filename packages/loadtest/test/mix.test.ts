import { describe, expect, it } from 'vitest';
import { type PlannedRequest, parseMix, RequestPlanner } from '../src/mix.ts';

const assets = (n: number, owner = 'owner-1') =>
  Array.from({ length: n }, (_, i) => ({ id: `asset-${i}`, ownerId: owner }));

function planner(editable: number) {
  return new RequestPlanner({
    mix: { get: 0, cold: 0, list: 0, patch: 1 },
    hot: assets(1),
    cold: [],
    edit: assets(editable),
    tokens: { 'owner-1': 'token' },
  });
}

/** Answers like the data API: a refresh returns the current ETag, a PATCH with it moves the version on. */
function answer(p: RequestPlanner, request: PlannedRequest, versions: Map<string, number>) {
  const id = request.edit?.id as string;
  const current = versions.get(id) ?? 1;
  if (request.kind === 'patch') {
    if (request.headers['if-match'] !== `"v${current}"`) return p.answered(request, 412, {}, '{}');
    versions.set(id, current + 1);
    return p.answered(request, 200, { etag: `"v${current + 1}"` }, '{}');
  }
  p.answered(request, 200, { etag: `"v${current}"` }, '{}');
}

describe('the request planner', () => {
  it('edits once an ETag is known, even when far fewer requests are sent than there are editable assets', () => {
    // 100 editable assets and 10 requests, one at a time: a slow run on a loaded machine.
    const p = planner(100);
    const versions = new Map<string, number>();
    const kinds: string[] = [];
    for (let i = 0; i < 10; i++) {
      const request = p.next();
      kinds.push(request.kind);
      answer(p, request, versions);
    }
    expect(kinds[0]).toBe('refresh');
    expect(kinds.filter((k) => k === 'patch').length).toBeGreaterThanOrEqual(5);
    expect(Object.keys(p.acknowledged).length).toBeGreaterThan(0);
    for (const [id, version] of Object.entries(p.acknowledged)) expect(versions.get(id)).toBe(version);
  });

  it('keeps one edit in flight per asset and reads the ETag again after a refused edit', () => {
    const p = planner(2);
    const first = [p.next(), p.next()];
    expect(first.map((r) => r.edit?.id).sort()).toEqual(['asset-0', 'asset-1']);
    // Both assets are in flight: the planner reads instead of sending a second edit of either.
    expect(p.next()).toMatchObject({ kind: 'get', method: 'GET' });
    const [a] = first as [PlannedRequest, PlannedRequest];
    p.answered(a, 200, { etag: '"v1"' }, '{}');
    const edit = p.next();
    expect(edit).toMatchObject({ kind: 'patch', headers: { 'if-match': '"v1"' } });
    p.answered(edit, 412, {}, '{}');
    expect(p.acknowledged).toEqual({});
    expect(p.next()).toMatchObject({ kind: 'refresh', edit: { id: a.edit?.id } });
  });
});

describe('a PATCH answered 412', () => {
  /** One asset whose ETag the planner knows, and the PATCH it sends next. */
  function patchPending() {
    const p = planner(1);
    p.answered(p.next(), 200, { etag: '"v3"' }, '{}');
    const patch = p.next();
    expect(patch).toMatchObject({ kind: 'patch', headers: { 'if-match': '"v3"' } });
    const { title } = JSON.parse(patch.body as string) as { title: string };
    expect(p.answered(patch, 412, {}, '{}')).toBeUndefined();
    const refresh = p.next();
    expect(refresh.kind).toBe('refresh');
    return { p, title, refresh };
  }

  it('is a lost answer, not a failure, when the next read shows that very edit applied once', () => {
    const { p, title, refresh } = patchPending();
    expect(p.answered(refresh, 200, { etag: '"v4"' }, JSON.stringify({ title, version: 4 }))).toBeUndefined();
    expect(p.lostAnswers).toBe(1);
    expect(p.acknowledged).toEqual({ 'asset-0': 4 });
  });

  it('is a failure when the next read shows another write', () => {
    const { p, refresh } = patchPending();
    const problem = p.answered(
      refresh,
      200,
      { etag: '"v4"' },
      JSON.stringify({ title: 'someone else', version: 4 }),
    );
    expect(problem).toMatch(/→ 412, but v4 holds "someone else"/);
    expect(p.lostAnswers).toBe(0);
    expect(p.acknowledged).toEqual({});
  });
});

describe('parseMix', () => {
  it('reads kind=weight pairs and refuses unknown kinds, bad weights and an all-zero mix', () => {
    expect(parseMix('get=70,patch=30')).toEqual({ get: 70, cold: 0, list: 0, patch: 30 });
    expect(() => parseMix('post=1')).toThrow(/"post=1" is not kind=weight/);
    expect(() => parseMix('get=-1')).toThrow(/is not kind=weight/);
    expect(() => parseMix('get=0')).toThrow(/every weight is 0/);
  });
});

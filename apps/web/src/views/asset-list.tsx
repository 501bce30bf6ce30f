import type { AssetPage } from '@stateless/contracts';
import { useEffect, useRef, useState } from 'preact/hooks';
import { type Api, ApiError } from '../api.ts';
import { bytes, isSettled, nameOf, StatusBadge, typeOf, when } from './format.tsx';
import { Thumbnail } from './thumbnail.tsx';

/** Fired when an upload starts or ends, so the list shows it at once. */
export const assetsChanged = 'console:assets-changed';

/** While something is moving, refresh often; otherwise now and then (other tabs, other devices). */
const busyPollMs = 1_500;
const idlePollMs = 15_000;

export function AssetList({ api, report }: { api: Api; report: (error: unknown) => void }) {
  // Cursor pagination: the cursors of the pages before this one, so "Newer" can go back.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState<AssetPage>();
  const [failed, setFailed] = useState(false);
  const cursor = cursors.at(-1);
  const timer = useRef<ReturnType<typeof setTimeout>>();

  useEffect(() => {
    let live = true;
    const load = async () => {
      clearTimeout(timer.current);
      let wait = idlePollMs;
      try {
        const { data } = await api.list(cursor);
        if (!live) return;
        setPage(data);
        setFailed(false);
        report(undefined);
        if (data.items.some((a) => !isSettled(a))) wait = busyPollMs;
      } catch (error) {
        if (!live) return;
        setFailed(true);
        report(error);
        if (error instanceof ApiError && error.kind === 'expired') return;
        wait = error instanceof ApiError && error.retryAfterSeconds ? error.retryAfterSeconds * 1000 : 3_000;
      }
      if (live) timer.current = setTimeout(load, wait);
    };
    void load();
    addEventListener(assetsChanged, load);
    return () => {
      live = false;
      clearTimeout(timer.current);
      removeEventListener(assetsChanged, load);
    };
  }, [api, cursor]);

  return (
    <section class="card" aria-labelledby="assets-title">
      <h2 id="assets-title">Your assets</h2>
      {!page ? (
        <p aria-live="polite">
          {failed ? 'Your assets could not be loaded: the message above says why.' : 'Loading your assets…'}
        </p>
      ) : page.items.length === 0 ? (
        <p>No assets yet. Drop a file above to upload one.</p>
      ) : (
        <ul class="assets" data-testid="asset-list">
          {page.items.map((asset) => (
            <li key={asset.id} class="asset" data-asset-id={asset.id}>
              <Thumbnail api={api} asset={asset} minWidth={96} />
              <div class="asset-main">
                <a href={`#/assets/${asset.id}`} class="asset-name">
                  {nameOf(asset)}
                </a>
                <span class="muted">
                  {typeOf(asset)} · {bytes(asset.size)} · {when(asset.createdAt)}
                </span>
                {asset.status === 'FAILED' && asset.failureReason && (
                  <span class="failure">Failed: {asset.failureReason}</span>
                )}
              </div>
              <StatusBadge asset={asset} />
            </li>
          ))}
        </ul>
      )}
      <nav class="pager" aria-label="Pages of assets">
        <button type="button" disabled={cursors.length < 2} onClick={() => setCursors(cursors.slice(0, -1))}>
          Newer
        </button>
        <span class="muted">Page {cursors.length}</span>
        <button
          type="button"
          disabled={!page?.nextCursor}
          onClick={() => page?.nextCursor && setCursors([...cursors, page.nextCursor])}
        >
          Older
        </button>
      </nav>
    </section>
  );
}

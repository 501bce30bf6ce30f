import type { Asset, Thumbnail as ThumbnailInfo } from '@stateless/contracts';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { type Api, ApiError, explain } from '../api.ts';
import { bytes, isSettled, nameOf, StatusBadge, when } from './format.tsx';
import { Thumbnail } from './thumbnail.tsx';

interface Loaded {
  asset: Asset;
  etag: string;
}

interface Draft {
  title: string;
  description: string;
  tags: string;
}

const draftOf = (asset: Asset): Draft => ({
  title: asset.title ?? '',
  description: asset.description ?? '',
  tags: asset.tags.join(', '),
});

const changesOf = (draft: Draft) => ({
  title: draft.title.trim() || null,
  description: draft.description.trim() || null,
  tags: [
    ...new Set(
      draft.tags
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  ],
});

export function AssetDetail({ api, id, report }: { api: Api; id: string; report: (error: unknown) => void }) {
  const [loaded, setLoaded] = useState<Loaded>();
  const [gone, setGone] = useState(false);
  const [failed, setFailed] = useState(false);
  // Opening the view moves focus to its heading, so keyboard and screen reader users start here.
  const heading = useRef<HTMLHeadingElement>(null);
  const shown = loaded !== undefined;
  useLayoutEffect(() => {
    if (shown) heading.current?.focus();
  }, [shown]);

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout>;
    const load = async () => {
      try {
        const { data, etag } = await api.get(id);
        if (!live) return;
        setLoaded((current) => (current?.etag === etag ? current : { asset: data, etag: etag ?? '' }));
        setFailed(false);
        report(undefined);
        if (!isSettled(data)) timer = setTimeout(load, 1_500);
      } catch (error) {
        if (!live) return;
        if (error instanceof ApiError && error.status === 404) return setGone(true);
        setFailed(true);
        report(error);
        if (!(error instanceof ApiError && error.kind === 'expired')) timer = setTimeout(load, 3_000);
      }
    };
    void load();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [api, id]);

  if (gone)
    return (
      <section class="card">
        <h1>Asset not found</h1>
        <p>It was deleted, or it is not yours.</p>
        <a href="#/">Back to your assets</a>
      </section>
    );
  if (!loaded)
    return (
      <div class="detail">
        <p>
          <a href="#/">← Your assets</a>
        </p>
        <p aria-live="polite">
          {failed ? 'This asset could not be loaded: the message above says why.' : 'Loading the asset…'}
        </p>
      </div>
    );
  const { asset } = loaded;

  return (
    <div class="detail">
      <p>
        <a href="#/">← Your assets</a>
      </p>
      <section class="card" aria-labelledby="asset-title">
        <div class="detail-head">
          <h1 id="asset-title" tabIndex={-1} ref={heading}>
            {nameOf(asset)}
          </h1>
          <StatusBadge asset={asset} />
        </div>
        {asset.status === 'FAILED' && (
          <p class="failure">Processing failed: {asset.failureReason ?? 'no reason given'}</p>
        )}
        <div class="detail-body">
          <Thumbnail api={api} asset={asset} minWidth={320} />
          <Metadata asset={asset} />
        </div>
        <Downloads api={api} asset={asset} report={report} />
      </section>
      <EditForm api={api} loaded={loaded} onSaved={setLoaded} report={report} />
      <DeleteAsset api={api} asset={asset} report={report} />
    </div>
  );
}

function Metadata({ asset }: { asset: Asset }) {
  const rows: [string, string][] = [
    ['File name', asset.filename ?? '—'],
    ['Type', asset.contentType ?? '—'],
    ['Size', bytes(asset.size)],
    ['Dimensions', asset.width && asset.height ? `${asset.width} × ${asset.height} px` : '—'],
    ['SHA-256', asset.sha256 ?? '—'],
    ['Created', when(asset.createdAt)],
    ['Updated', when(asset.updatedAt)],
    ['Version', String(asset.version)],
  ];
  return (
    <dl class="meta" data-testid="metadata">
      {rows.map(([term, value]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd class={term === 'SHA-256' ? 'mono' : undefined}>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Saves bytes under a name: `download` is honoured only on a same-origin link, so an object URL. */
function save(blob: Blob, filename: string) {
  const href = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement('a'), { href, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
}

/** `holiday.jpg`'s `small` WebP thumbnail is `holiday-small.webp`. */
const thumbnailFilename = (asset: Asset, thumbnail: ThumbnailInfo) =>
  `${(asset.filename ?? asset.id).replace(/\.[^.]*$/, '')}-${thumbnail.name}.${thumbnail.contentType.split('/')[1]}`;

function Downloads({ api, asset, report }: { api: Api; asset: Asset; report: (error: unknown) => void }) {
  // The original's link answers as an attachment (Content-Disposition, signed by the API): the
  // browser downloads it, streaming to disk, and the console stays open.
  const original = async () => {
    try {
      location.assign((await api.download(asset.id)).data.url);
    } catch (error) {
      report(error);
    }
  };
  // A thumbnail's link answers inline: opened, it would replace the console (and end its uploads),
  // so its bytes (a few KB) are fetched and saved under a name.
  const thumbnail = (t: ThumbnailInfo) => async () => {
    try {
      const { data } = await api.thumbnail(asset.id, t.name);
      const response = await fetch(data.url).catch(() => undefined);
      if (!response?.ok)
        throw new Error(
          `the thumbnail could not be downloaded (${response ? `HTTP ${response.status}` : 'the file store cannot be reached'})`,
        );
      save(await response.blob(), thumbnailFilename(asset, t));
    } catch (error) {
      report(error);
    }
  };
  if (asset.status === 'PENDING') return null;
  return (
    <div class="downloads">
      <button type="button" onClick={original}>
        Download original
      </button>
      {asset.thumbnails.map((t) => (
        <button key={t.name} type="button" class="secondary" onClick={thumbnail(t)}>
          Thumbnail {t.name} ({t.width} × {t.height})
        </button>
      ))}
    </div>
  );
}

function EditForm({
  api,
  loaded,
  onSaved,
  report,
}: {
  api: Api;
  loaded: Loaded;
  onSaved: (next: Loaded) => void;
  report: (error: unknown) => void;
}) {
  // The version this draft is based on: the If-Match of the next save.
  const [base, setBase] = useState(loaded);
  const [draft, setDraft] = useState(() => draftOf(loaded.asset));
  const [conflict, setConflict] = useState<Asset>();
  const [saved, setSaved] = useState<string>();
  const [invalid, setInvalid] = useState<string>();
  const [busy, setBusy] = useState(false);

  // A status or thumbnail change elsewhere moves the version on; an untouched draft follows it.
  useEffect(() => {
    if (loaded.etag === base.etag || conflict) return;
    const untouched = JSON.stringify(draft) === JSON.stringify(draftOf(base.asset));
    if (untouched) {
      setBase(loaded);
      setDraft(draftOf(loaded.asset));
    }
  }, [loaded]);

  const save = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setSaved(undefined);
    setInvalid(undefined);
    try {
      const { data, etag } = await api.update(base.asset.id, base.etag, changesOf(draft));
      const next = { asset: data, etag: etag ?? '' };
      setBase(next);
      setDraft(draftOf(data));
      setConflict(undefined);
      onSaved(next);
      setSaved(`Saved (version ${data.version}).`);
    } catch (error) {
      if (error instanceof ApiError && error.kind === 'conflict') {
        try {
          const latest = await api.get(base.asset.id);
          setConflict(latest.data);
          setBase({ asset: latest.data, etag: latest.etag ?? '' });
          onSaved({ asset: latest.data, etag: latest.etag ?? '' });
        } catch (reload) {
          report(reload);
        }
      } else if (error instanceof ApiError && error.status === 400) {
        setInvalid(explain(error));
      } else {
        report(error);
      }
    } finally {
      setBusy(false);
    }
  };

  const field = (name: keyof Draft) => ({
    id: `edit-${name}`,
    name,
    value: draft[name],
    onInput: (e: Event) => setDraft({ ...draft, [name]: (e.currentTarget as HTMLInputElement).value }),
  });

  return (
    <section class="card" aria-labelledby="edit-title">
      <h2 id="edit-title">Edit details</h2>
      {conflict && (
        <div class="conflict" role="alert" data-testid="conflict">
          <p>
            <strong>Not saved: this asset was changed elsewhere</strong> (it is now version {conflict.version}
            ). Their version:
          </p>
          <dl class="meta">
            <div>
              <dt>Title</dt>
              <dd data-testid="conflict-title">{conflict.title ?? '—'}</dd>
            </div>
            <div>
              <dt>Description</dt>
              <dd>{conflict.description ?? '—'}</dd>
            </div>
            <div>
              <dt>Tags</dt>
              <dd>{conflict.tags.join(', ') || '—'}</dd>
            </div>
          </dl>
          <p>Save again to replace it with yours, or take theirs:</p>
          <button
            type="button"
            class="secondary"
            onClick={() => {
              setDraft(draftOf(conflict));
              setConflict(undefined);
            }}
          >
            Use their version
          </button>
        </div>
      )}
      <form onSubmit={save}>
        <label for="edit-title-input">Title</label>
        <input {...field('title')} id="edit-title-input" maxLength={200} />
        <label for="edit-description">Description</label>
        <textarea {...field('description')} rows={3} maxLength={2000} />
        <label for="edit-tags">Tags (comma-separated)</label>
        <input {...field('tags')} />
        {invalid && (
          <p class="failure" role="alert">
            {invalid}
          </p>
        )}
        <button type="submit" disabled={busy}>
          Save
        </button>
        <span class="muted" aria-live="polite" data-testid="saved">
          {saved}
        </span>
      </form>
    </section>
  );
}

function DeleteAsset({ api, asset, report }: { api: Api; asset: Asset; report: (error: unknown) => void }) {
  const [confirming, setConfirming] = useState(false);
  const remove = async () => {
    try {
      await api.remove(asset.id);
      location.hash = '#/';
    } catch (error) {
      report(error);
    }
  };
  return (
    <section class="card" aria-labelledby="delete-title">
      <h2 id="delete-title">Delete</h2>
      {!confirming ? (
        <button type="button" class="danger" onClick={() => setConfirming(true)}>
          Delete this asset
        </button>
      ) : (
        <fieldset class="confirm">
          <legend>Confirm deletion</legend>
          <p>The original and its thumbnails are removed. This cannot be undone.</p>
          <button type="button" class="danger" onClick={remove}>
            Delete for good
          </button>
          <button type="button" class="secondary" onClick={() => setConfirming(false)}>
            Keep it
          </button>
        </fieldset>
      )}
    </section>
  );
}

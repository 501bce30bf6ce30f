import type { Asset } from '@stateless/contracts';
import { useEffect, useState } from 'preact/hooks';
import type { Api } from '../api.ts';
import { nameOf } from './format.tsx';

// Presigned links are short-lived; one per thumbnail and version, reused until shortly before expiry.
const links = new Map<string, { url: string; expiresAt: number }>();

export function useDownloadLink(api: Api, key: string, fetchLink: () => ReturnType<Api['download']>) {
  const [url, setUrl] = useState<string>();
  useEffect(() => {
    const known = links.get(key);
    if (known && known.expiresAt - 30_000 > Date.now()) return setUrl(known.url);
    let live = true;
    fetchLink()
      .then(({ data }) => {
        links.set(key, { url: data.url, expiresAt: Date.parse(data.expiresAt) });
        if (live) setUrl(data.url);
      })
      .catch(() => {
        if (live) setUrl(undefined);
      });
    return () => {
      live = false;
    };
  }, [api, key]);
  return url;
}

/** The smallest thumbnail that is at least `minWidth` wide (or the largest one). */
export function pickThumbnail(asset: Asset, minWidth: number) {
  const bySize = [...asset.thumbnails].sort((a, b) => a.width - b.width);
  return bySize.find((t) => t.width >= minWidth) ?? bySize.at(-1);
}

export function Thumbnail({ api, asset, minWidth }: { api: Api; asset: Asset; minWidth: number }) {
  const thumbnail = pickThumbnail(asset, minWidth);
  if (!thumbnail) return <div class="thumb thumb-empty" aria-hidden="true" />;
  return <ThumbnailImage api={api} asset={asset} name={thumbnail.name} />;
}

function ThumbnailImage({ api, asset, name }: { api: Api; asset: Asset; name: string }) {
  const url = useDownloadLink(api, `${asset.id}:${asset.version}:${name}`, () =>
    api.thumbnail(asset.id, name),
  );
  if (!url) return <div class="thumb thumb-empty" aria-hidden="true" />;
  return <img class="thumb" src={url} alt={`Thumbnail of ${nameOf(asset)}`} data-testid="thumbnail" />;
}

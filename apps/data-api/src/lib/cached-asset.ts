import type { AssetStatus } from '@stateless/contracts';
import { type AssetRecord, isLive, toPublic } from './record.ts';

/**
 * The cache entry of one asset: a small JSON header (what the routes need to
 * authorize and presign) and the owner's representation, already serialized,
 * so a cache hit is sent without parsing or re-serializing the body.
 */
export interface CachedAsset {
  ownerId: string;
  version: number;
  status: AssetStatus;
  originalKey: string;
  /** The version of the original the download serves (older entries have none: the current one). */
  originalVersionId: string | undefined;
  thumbnailKeys: Record<string, string>;
  filename: string | undefined;
  expiresAt: number | undefined;
  /** The public Asset, as JSON. */
  body: string;
}

type Header = [
  string,
  number,
  AssetStatus,
  string,
  Record<string, string>,
  string | null,
  number | null,
  (string | null)?,
];

/** Only live assets are cached as values; a deleted or unknown id is cached as not-found. */
export function encodeCachedAsset(record: AssetRecord | undefined): string | null {
  if (!record || !isLive(record)) return null;
  const header: Header = [
    record.ownerId as string,
    record.version,
    record.status,
    record.originalKey,
    Object.fromEntries((record.thumbnails ?? []).map((t) => [t.name, t.key])),
    record.filename ?? null,
    record.expiresAt ?? null,
    record.originalVersionId ?? null,
  ];
  return `${JSON.stringify(header)}\n${JSON.stringify(toPublic(record))}`;
}

export function decodeCachedAsset(value: string): CachedAsset {
  const newline = value.indexOf('\n');
  const [ownerId, version, status, originalKey, thumbnailKeys, filename, expiresAt, originalVersionId] =
    JSON.parse(value.slice(0, newline)) as Header;
  return {
    ownerId,
    version,
    status,
    originalKey,
    originalVersionId: originalVersionId ?? undefined,
    thumbnailKeys,
    filename: filename ?? undefined,
    expiresAt: expiresAt ?? undefined,
    body: value.slice(newline + 1),
  };
}

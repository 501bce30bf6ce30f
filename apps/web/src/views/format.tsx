import type { Asset, AssetStatus } from '@stateless/contracts';

export const terminal: readonly AssetStatus[] = ['READY', 'FAILED', 'DELETED'];

export const isSettled = (asset: Asset) => terminal.includes(asset.status);

export function bytes(size: number | undefined) {
  if (size === undefined) return '—';
  if (size < 1024) return `${size} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = size / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export const nameOf = (asset: Asset) => asset.title ?? asset.filename ?? asset.id;

/** The type the bytes were found to be, and the declared one where it differs (a refused file says both). */
export function typeOf({ contentType, declaredContentType }: Asset) {
  const found = contentType ?? 'unknown type';
  return declaredContentType && declaredContentType !== contentType
    ? `${found} (declared ${declaredContentType})`
    : found;
}

export const when = (iso: string) => new Date(iso).toLocaleString();

export function StatusBadge({ asset }: { asset: Asset }) {
  return (
    <span class={`status status-${asset.status.toLowerCase()}`} data-status={asset.status}>
      {asset.status}
    </span>
  );
}

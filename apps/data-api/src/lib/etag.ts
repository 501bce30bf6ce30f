import { PublicError } from '@stateless/contracts';

/** The strong ETag of an asset's representation: it changes exactly when `version` does. */
export const etagOf = (version: number) => `"v${version}"`;

export type Precondition = { any: true } | { any: false; versions: number[] };

const entityTag = /^(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"$/;

/**
 * Parses an `If-Match` / `If-None-Match` value: `*` or a comma-separated list of
 * entity tags. Tags this service never issued are kept out of `versions` (they
 * simply never match); a malformed header is a 400.
 */
export function parseEntityTags(header: string, name: string, weakMatches: boolean): Precondition {
  const value = header.trim();
  if (value === '*') return { any: true };
  const versions: number[] = [];
  const parts = value.split(',').map((p) => p.trim());
  if (parts.length > 20 || parts.some((p) => p === '')) throw badHeader(name);
  let strongTags = 0;
  for (const part of parts) {
    const match = entityTag.exec(part);
    if (!match) throw badHeader(name);
    // If-Match uses the strong comparison (a weak tag never matches); If-None-Match the weak one.
    if (match[1] && !weakMatches) continue;
    strongTags += 1;
    const version = /^v([1-9]\d{0,14})$/.exec(match[2] ?? '');
    if (version?.[1]) versions.push(Number(version[1]));
  }
  // Only weak tags: the precondition can never hold, and "has changed" would send the client
  // round a re-read that brings back the same ETag.
  if (strongTags === 0) throw weakIfMatch();
  return { any: false, versions };
}

const weakIfMatch = () =>
  new PublicError(
    412,
    'PreconditionFailed',
    'A weak validator (W/"...") cannot be used with If-Match: send the ETag exactly as this API returned it',
  );

const badHeader = (name: string) =>
  new PublicError(400, 'BadRequest', `Malformed ${name} header: expected "*" or quoted entity tags`);

/** Does the current version satisfy `If-None-Match` (i.e. the client's copy is current)? */
export const noneMatchHits = (precondition: Precondition, version: number) =>
  precondition.any || precondition.versions.includes(version);

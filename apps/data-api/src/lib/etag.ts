import { entityTagPattern, maxEntityTags, PublicError } from '@stateless/contracts';

/** The strong ETag of an asset's representation: it changes exactly when `version` does. */
export const etagOf = (version: number) => `"v${version}"`;

export type Precondition = { any: true } | { any: false; versions: number[] };

/** One list element and what ends it: a comma or the end. OWS is spaces and tabs. */
const listElement = new RegExp(String.raw`[ \t]*${entityTagPattern}[ \t]*(,|$)`, 'y');

/**
 * Parses an `If-Match` / `If-None-Match` value: `*` or a comma-separated list of
 * entity tags. Tags this service never issued are kept out of `versions` (they
 * simply never match); a malformed header is a 400.
 */
export function parseEntityTags(header: string, name: string, weakMatches: boolean): Precondition {
  const value = header.trim();
  if (value === '*') return { any: true };
  const versions: number[] = [];
  let strongTags = 0;
  listElement.lastIndex = 0;
  for (let count = 1; ; count++) {
    const match = listElement.exec(value);
    if (!match || count > maxEntityTags) throw badHeader(name);
    const [, weak, opaque = '', separator] = match;
    // If-Match uses the strong comparison (a weak tag never matches); If-None-Match the weak one.
    if (!weak || weakMatches) {
      strongTags += 1;
      const version = /^v([1-9]\d{0,14})$/.exec(opaque);
      if (version?.[1]) versions.push(Number(version[1]));
    }
    if (separator === '') break;
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

import { invalidToken } from './errors.ts';

const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

/**
 * Pages through `items` (already in listing order). Tokens carry the position key of the
 * last item returned rather than an offset, so items added while a client pages through
 * a listing (new executions, new events) never shift or repeat entries.
 */
export function paginate<T>(
  items: readonly T[],
  positionOf: (item: T) => number,
  order: 'ascending' | 'descending',
  maxResults: number | undefined,
  nextToken: string | undefined,
): Page<T> {
  const size = maxResults === undefined || maxResults === 0 ? DEFAULT_PAGE_SIZE : maxResults;
  let start = 0;
  if (nextToken !== undefined) {
    const after = decodeToken(nextToken);
    const isAfter = (item: T) =>
      order === 'ascending' ? positionOf(item) > after : positionOf(item) < after;
    start = items.findIndex(isAfter);
    if (start === -1) start = items.length;
  }
  const page = items.slice(start, start + size);
  const last = page.at(-1);
  const hasMore = start + size < items.length;
  return hasMore && last !== undefined
    ? { items: page, nextToken: encodeToken(positionOf(last)) }
    : { items: page };
}

function encodeToken(position: number): string {
  return Buffer.from(JSON.stringify({ after: position })).toString('base64url');
}

function decodeToken(token: string): number {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      'after' in parsed &&
      typeof parsed.after === 'number'
    ) {
      return parsed.after;
    }
  } catch {
    // fall through to the AWS error below
  }
  throw invalidToken(token);
}

import { ApiError } from "../errors";
import { toBase64Url } from "../lib/base64";
import { SCAN_SLACK } from "../limits";

/** Position after the last row of a page, ordered by (created_at, id). */
export interface Cursor {
  createdAt: number;
  id: string;
}

/** Encodes the position after `row` as an opaque cursor. */
function encodeCursor(row: { created_at: number; id: string }): string {
  return toBase64Url(new TextEncoder().encode(`${row.created_at}:${row.id}`));
}

/** Decodes a cursor from a query string; a malformed one is a 400 `invalid_cursor`. */
export function decodeCursor(cursor: string | undefined): Cursor | null {
  if (!cursor) return null;
  try {
    const text = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
    const match = /^(\d{1,15}):([A-Za-z0-9_-]{1,64})$/.exec(text);
    if (match) return { createdAt: Number(match[1]), id: match[2]! };
  } catch {
    // fall through to the error below
  }
  throw new ApiError(400, "invalid_cursor", "The cursor is not one this API returned", [
    { path: "cursor", message: "unrecognised cursor" },
  ]);
}

function invalidCursor(): ApiError {
  return new ApiError(400, "invalid_cursor", "The cursor is not one this API returned", [{ path: "cursor", message: "unrecognised cursor" }]);
}

/** The cursor after `key` in a list ordered by a unique text key (the event-type catalogue, by name). */
export function encodeKeyCursor(key: string): string {
  return toBase64Url(new TextEncoder().encode(`k:${key}`));
}

/**
 * Decodes a cursor of encodeKeyCursor whose key must match `shape`; anything else is a 400
 * `invalid_cursor`.
 */
export function decodeKeyCursor(cursor: string | undefined, shape: RegExp): string | null {
  if (!cursor) return null;
  try {
    const text = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
    if (text.startsWith("k:") && shape.test(text.slice(2))) return text.slice(2);
  } catch {
    // fall through to the error below
  }
  throw invalidCursor();
}

/**
 * Splits the `limit + 1` rows a list query fetched into one page and the cursor of the next
 * (null on the last page).
 */
export function paginate<R extends { created_at: number; id: string }>(rows: R[], limit: number) {
  const page = rows.slice(0, limit);
  const next = rows.length > limit ? encodeCursor(page[page.length - 1]!) : null;
  return { page, next_cursor: next };
}

/** Most rows a filtered list with page size `limit` examines in one call. */
export function scanBudget(limit: number): number {
  return limit + SCAN_SLACK;
}

/**
 * The page of a bounded scan: `examined` are the rows it walked, in list order, at most `budget`
 * (fetched as `LIMIT budget`), and `matches` picks the ones the filter keeps. A full page when
 * more than `limit` matched; otherwise the matches found (possibly none) with, when the scan
 * stopped at its budget, the cursor after the last row it examined: a short page with a
 * `next_cursor` means "more may follow", a null `next_cursor` means the range is done — as
 * DynamoDB's filtered Query pages and Svix's filtered lists behave.
 */
export function scannedPage<R extends { created_at: number; id: string }>(examined: R[], matches: (row: R) => boolean, limit: number, budget: number) {
  const kept = examined.filter(matches);
  if (kept.length > limit) return paginate(kept, limit);
  const stopped = examined.length >= budget && examined.length > 0;
  return { page: kept, next_cursor: stopped ? encodeCursor(examined[examined.length - 1]!) : null };
}

/** Milliseconds since the epoch as an ISO-8601 string (null stays null). */
export function iso(ms: number): string;
export function iso(ms: number | null): string | null;
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

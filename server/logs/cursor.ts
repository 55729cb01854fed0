/**
 * The opaque cursor of a log search page: the position `(time, id)` of the last entry returned,
 * and a digest of the filters it belongs to, so a cursor cannot be used with another query.
 * base64url of a small JSON object; the next page is `WHERE (time, id) < (cursor)`, never OFFSET.
 *
 * @example
 * ```ts
 * const c = encodeCursor({ timeUs: 1714557600123456n, id: 42n }, "q=boom");
 * decodeCursor(c, "q=boom"); // { ok: true, value: { timeUs: 1714557600123456n, id: 42n } }
 * ```
 */

/** A keyset position: the entry's time in epoch microseconds and its id. */
export interface CursorPosition {
  timeUs: bigint;
  id: bigint;
}

/** Longest cursor accepted, in characters. */
export const CURSOR_MAX_LENGTH = 256;

/** FNV-1a (32 bit) of a string, as 8 hex digits: enough to tell queries apart, not a secret. */
export function filterDigest(canonical: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < canonical.length; i++) {
    h ^= canonical.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

function b64urlEncode(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function b64urlDecode(text: string): string | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  try {
    const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(bin, (c) => c.charCodeAt(0)),
    );
  } catch {
    return null;
  }
}

/** Encodes a position for the query whose canonical filters are `filters`. */
export function encodeCursor(pos: CursorPosition, filters: string): string {
  return b64urlEncode(
    JSON.stringify({
      v: 1,
      t: pos.timeUs.toString(),
      i: pos.id.toString(),
      f: filterDigest(filters),
    }),
  );
}

/** Decodes a cursor given to the query whose canonical filters are `filters`. */
export function decodeCursor(
  cursor: string,
  filters: string,
): { ok: true; value: CursorPosition } | { ok: false; error: string } {
  const bad = { ok: false as const, error: "cursor is not a cursor this server issued" };
  if (cursor.length === 0 || cursor.length > CURSOR_MAX_LENGTH) return bad;
  const text = b64urlDecode(cursor);
  if (text === null) return bad;
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return bad;
  }
  const c = o as { v?: unknown; t?: unknown; i?: unknown; f?: unknown };
  if (
    typeof o !== "object" || o === null || c.v !== 1 || typeof c.t !== "string" ||
    typeof c.i !== "string" || typeof c.f !== "string" || !/^-?\d{1,19}$/.test(c.t) ||
    !/^\d{1,19}$/.test(c.i)
  ) return bad;
  if (c.f !== filterDigest(filters)) {
    return { ok: false, error: "cursor belongs to a query with other filters" };
  }
  return { ok: true, value: { timeUs: BigInt(c.t), id: BigInt(c.i) } };
}

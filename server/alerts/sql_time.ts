/**
 * Timestamps between SQL and epoch milliseconds: both drivers return `timestamptz` as
 * `Date`; bulk statements take ISO text inside a JSON document.
 */

/** Epoch ms of a timestamp column; null stays null. */
export function toMs(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.getTime();
  return Date.parse(String(v));
}

/** ISO text of epoch ms for a JSON document; null stays null. */
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** ISO text of a timestamp column; null stays null. */
export function isoOf(v: unknown): string | null {
  return iso(toMs(v));
}

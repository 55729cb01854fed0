/**
 * `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date, as milliseconds from now.
 *
 * @example
 * ```ts
 * parseRetryAfter("120", now);                           // 120000
 * parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now); // until then, or 0 when past
 * ```
 */

/** Longest wait a server may ask for; beyond it the agent comes back anyway (10 minutes). */
export const RETRY_AFTER_MAX_MS = 10 * 60_000;

/** Milliseconds to wait, capped at RETRY_AFTER_MAX_MS; null when absent or unparseable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Math.min(Number(v) * 1000, RETRY_AFTER_MAX_MS);
  // IMF-fixdate (and the obsolete forms Date.parse also reads): "Sun, 06 Nov 1994 08:49:37 GMT".
  if (!/^[A-Za-z]{3},? /.test(v)) return null;
  const at = Date.parse(v);
  if (!Number.isFinite(at)) return null;
  return Math.min(Math.max(0, at - nowMs), RETRY_AFTER_MAX_MS);
}

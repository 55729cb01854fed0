/**
 * Instants with microseconds, as log times are stored (`timestamptz`): parsing the ISO text
 * agents send, formatting what the database returns, and the microsecond epoch cursors carry.
 */

const ISO_FRACTION_RE = /^(.*T\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/i;

/** Epoch microseconds of an ISO 8601 instant (already validated by `parseInstant`), as a bigint. */
export function isoToMicros(iso: string): bigint {
  const m = ISO_FRACTION_RE.exec(iso);
  if (!m) throw new Error(`not an ISO 8601 instant: ${iso}`);
  const digits = (m[2] ?? "").slice(0, 6).padEnd(6, "0");
  const wholeMs = Date.parse(`${m[1]}${m[3]}`);
  if (!Number.isFinite(wholeMs)) throw new Error(`not an ISO 8601 instant: ${iso}`);
  return BigInt(wholeMs) * 1000n + BigInt(Number(digits));
}

/** Epoch microseconds as ISO 8601 in UTC: milliseconds, plus microseconds when there are any. */
export function microsToIso(us: bigint): string {
  const ms = us >= 0n ? us / 1000n : (us - 999n) / 1000n;
  const rest = Number(us - ms * 1000n);
  const iso = new Date(Number(ms)).toISOString();
  return rest === 0 ? iso : `${iso.slice(0, -1)}${String(rest).padStart(3, "0")}Z`;
}

/** Epoch milliseconds of epoch microseconds (rounded down). */
export function microsToMs(us: bigint): number {
  return Number(us >= 0n ? us / 1000n : (us - 999n) / 1000n);
}

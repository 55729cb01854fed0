/** UTF-8 helpers for cutting lines without splitting a character. */

/** True when `b` is a UTF-8 continuation byte (10xxxxxx). */
export function isContinuationByte(b: number): boolean {
  return (b & 0xc0) === 0x80;
}

/**
 * The largest length ≤ `max` at which `bytes` can be cut without splitting a UTF-8
 * character: `max` itself unless a character straddles it. Invalid sequences (more than three
 * continuation bytes in a row) are cut at `max`.
 */
export function utf8Boundary(bytes: Uint8Array, max: number): number {
  if (bytes.length <= max) return bytes.length;
  let i = max;
  while (i > 0 && max - i < 4 && isContinuationByte(bytes[i])) i--;
  return isContinuationByte(bytes[i]) ? max : i;
}

/** The length of `bytes` without a trailing incomplete UTF-8 character (for a partial line). */
export function completeUtf8Length(bytes: Uint8Array): number {
  const n = bytes.length;
  for (let back = 1; back <= 3 && back <= n; back++) {
    const b = bytes[n - back];
    if (isContinuationByte(b)) continue;
    if (b < 0x80) return n;
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return back < need ? n - back : n;
  }
  return n;
}

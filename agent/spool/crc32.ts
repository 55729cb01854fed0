/**
 * CRC-32 (IEEE 802.3, the zlib/gzip polynomial): the spool's per-record checksum, which
 * tells a torn or damaged record from a whole one. Computed by zlib (native, about 20 times
 * faster than a table-driven loop in JavaScript, and the agent runs without a JIT).
 *
 * @example
 * ```ts
 * crc32(new TextEncoder().encode("123456789")); // 0xcbf43926
 * ```
 */
import { crc32 as zlibCrc32 } from "node:zlib";

/** The CRC-32 of `bytes[start, end)` as an unsigned 32-bit integer. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return zlibCrc32(bytes.subarray(start, end)) >>> 0;
}

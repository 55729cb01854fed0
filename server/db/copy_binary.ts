/**
 * Encodes samples in PostgreSQL's binary COPY format for
 * `COPY metric_samples (time, series_id, value) FROM STDIN (FORMAT binary)`.
 *
 * Layout: 11-byte signature, int32 flags, int32 extension length; per row an int16 field
 * count and, per field, an int32 length and the value (timestamptz = int64 µs since
 * 2000-01-01 UTC, int8, float8, all big-endian); an int16 -1 trailer.
 */
import type { SampleColumns } from "./db.ts";

/** The COPY statement whose input `encodeSamplesBinary` produces. */
export const COPY_SAMPLES_SQL =
  "COPY metric_samples (time, series_id, value) FROM STDIN (FORMAT binary)";

const SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00];
const HEADER_BYTES = SIGNATURE.length + 8;
const ROW_BYTES = 2 + 3 * (4 + 8);
/** Milliseconds from the Unix epoch to PostgreSQL's epoch (2000-01-01 UTC). */
const PG_EPOCH_MS = 946_684_800_000;
const TWO_32 = 4_294_967_296;

function setInt64(view: DataView, offset: number, v: number): void {
  const hi = Math.floor(v / TWO_32);
  view.setInt32(offset, hi);
  view.setUint32(offset + 4, v - hi * TWO_32);
}

/** Encodes the rows (times in epoch ms) as one binary COPY payload, header to trailer. */
export function encodeSamplesBinary(rows: SampleColumns): Uint8Array {
  const n = rows.time.length;
  if (rows.seriesId.length !== n || rows.value.length !== n) {
    throw new Error("copy: sample columns differ in length");
  }
  const buf = new Uint8Array(HEADER_BYTES + n * ROW_BYTES + 2);
  const view = new DataView(buf.buffer);
  buf.set(SIGNATURE, 0);
  // flags and header-extension length stay 0
  let o = HEADER_BYTES;
  for (let i = 0; i < n; i++) {
    view.setInt16(o, 3);
    view.setInt32(o + 2, 8);
    setInt64(view, o + 6, Math.round((rows.time[i] - PG_EPOCH_MS) * 1000));
    view.setInt32(o + 14, 8);
    setInt64(view, o + 18, rows.seriesId[i]);
    view.setInt32(o + 26, 8);
    view.setFloat64(o + 30, rows.value[i]);
    o += ROW_BYTES;
  }
  view.setInt16(o, -1);
  return buf;
}

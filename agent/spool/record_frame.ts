/**
 * The on-disk frame of one spool record, and the scan that reads frames back and stops at
 * the first one that is torn or damaged.
 *
 * Layout (little endian):
 *
 * ```
 * offset size
 *   0     4   magic "MOS1" (0x3153_4f4d read as u32 LE)
 *   4     4   body length N
 *   8     4   CRC-32 of the body
 *  12     N   body:
 *               0  1  format version (1)
 *               1  1  kind (1 = metrics, 2 = logs)
 *               2  2  host length H (UTF-8 bytes)
 *               4  2  id length I (UTF-8 bytes)
 *               6  4  items (metrics or log lines in the batch)
 *              10  8  seq (u64)
 *              18  8  appended at (epoch ms, f64)
 *              26  1  flags: bit 0 = solo (always sent alone, under its own id)
 *              27  H  host
 *            27+H  I  batch id
 *          27+H+I  …  payload (the batch as JSON, UTF-8)
 * ```
 *
 * A record is valid only when the magic, the length and the checksum all agree, so a
 * record cut short by a crash (the write of the last record interrupted by `kill -9` or a
 * power loss) is detected, never half-read.
 */
import { crc32 } from "./crc32.ts";

/** What a record carries: a metric batch now; log batches (issue 5) use the same spool. */
export const RECORD_KINDS = ["metrics", "logs"] as const;
/** One record kind. */
export type RecordKind = typeof RECORD_KINDS[number];

const KIND_CODES: Record<RecordKind, number> = { metrics: 1, logs: 2 };
const KIND_BY_CODE = new Map<number, RecordKind>([[1, "metrics"], [2, "logs"]]);

/** "MOS1" as a little-endian u32. */
export const FRAME_MAGIC = 0x3153_4f4d;
/** Bytes before the body: magic, length, checksum. */
export const FRAME_HEADER_BYTES = 12;
/** Bytes of the fixed part of the body, before host, id and payload. */
export const BODY_FIXED_BYTES = 27;
const FLAG_SOLO = 1;
/** The one format version written and read. */
export const FORMAT_VERSION = 1;
/** Longest body accepted when reading: larger lengths can only be damage. */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** A record as appended: everything but its sequence number and time. */
export interface NewRecord {
  kind: RecordKind;
  /** The host the batch belongs to; only batches of one host are merged into one request. */
  host: string;
  /** The batch id, unique per batch: what the server de-duplicates by. */
  id: string;
  /** How many metrics (or log lines) the batch holds. */
  items: number;
  /** The batch as UTF-8 JSON, sent as is when the record travels alone. */
  payload: Uint8Array;
}

/** A stored record. */
export interface SpoolRecord extends NewRecord {
  seq: number;
  appendedAtMs: number;
  /** Born to be sent alone (appended when nothing else was pending): never merged. */
  solo?: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Encodes one record as a frame. */
export function encodeFrame(rec: SpoolRecord): Uint8Array {
  const host = encoder.encode(rec.host);
  const id = encoder.encode(rec.id);
  if (host.length > 0xffff || id.length > 0xffff) throw new Error("spool: host or id too long");
  const bodyLength = BODY_FIXED_BYTES + host.length + id.length + rec.payload.length;
  const frame = new Uint8Array(FRAME_HEADER_BYTES + bodyLength);
  const view = new DataView(frame.buffer);
  const b = FRAME_HEADER_BYTES;
  view.setUint32(0, FRAME_MAGIC, true);
  view.setUint32(4, bodyLength, true);
  view.setUint8(b, FORMAT_VERSION);
  view.setUint8(b + 1, KIND_CODES[rec.kind]);
  view.setUint16(b + 2, host.length, true);
  view.setUint16(b + 4, id.length, true);
  view.setUint32(b + 6, rec.items, true);
  view.setBigUint64(b + 10, BigInt(rec.seq), true);
  view.setFloat64(b + 18, rec.appendedAtMs, true);
  view.setUint8(b + 26, rec.solo ? FLAG_SOLO : 0);
  frame.set(host, b + BODY_FIXED_BYTES);
  frame.set(id, b + BODY_FIXED_BYTES + host.length);
  frame.set(rec.payload, b + BODY_FIXED_BYTES + host.length + id.length);
  view.setUint32(8, crc32(frame, b), true);
  return frame;
}

/** One frame found by a scan: the record and where its frame lies in the scanned bytes. */
export interface ScannedFrame {
  record: SpoolRecord;
  offset: number;
  length: number;
}

/** The result of a scan: the good frames, how many bytes they span, and why it stopped early. */
export interface ScanResult {
  frames: ScannedFrame[];
  /** Bytes from the start up to the end of the last good frame. */
  goodBytes: number;
  /** Set when bytes remain after the last good frame: what was wrong with them. */
  problem?: string;
}

function decodeBody(bytes: Uint8Array, start: number, length: number): SpoolRecord | string {
  if (length < BODY_FIXED_BYTES) return "body shorter than its fixed header";
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, length);
  if (view.getUint8(0) !== FORMAT_VERSION) return `unknown format version ${view.getUint8(0)}`;
  const kind = KIND_BY_CODE.get(view.getUint8(1));
  if (!kind) return `unknown record kind ${view.getUint8(1)}`;
  const hostLength = view.getUint16(2, true);
  const idLength = view.getUint16(4, true);
  if (BODY_FIXED_BYTES + hostLength + idLength > length) return "host and id overrun the body";
  const items = view.getUint32(6, true);
  const seq = Number(view.getBigUint64(10, true));
  const appendedAtMs = view.getFloat64(18, true);
  const flags = view.getUint8(26);
  if (flags & ~FLAG_SOLO) return `unknown flags ${flags}`;
  const p = start + BODY_FIXED_BYTES;
  try {
    const host = decoder.decode(bytes.subarray(p, p + hostLength));
    const id = decoder.decode(bytes.subarray(p + hostLength, p + hostLength + idLength));
    const payload = bytes.subarray(p + hostLength + idLength, start + length);
    return { kind, host, id, items, seq, appendedAtMs, payload, solo: (flags & FLAG_SOLO) !== 0 };
  } catch {
    return "host or id is not UTF-8";
  }
}

/**
 * Reads consecutive frames from `bytes` and stops at the first invalid one (bad magic,
 * impossible length, frame running past the end, checksum mismatch, undecodable body,
 * or a seq not above the previous one). Payloads are views into `bytes`.
 */
export function scanFrames(bytes: Uint8Array, afterSeq = 0): ScanResult {
  const frames: ScannedFrame[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  let lastSeq = afterSeq;
  const stop = (problem: string): ScanResult => ({ frames, goodBytes: offset, problem });
  while (offset < bytes.length) {
    const left = bytes.length - offset;
    if (left < FRAME_HEADER_BYTES) return stop(`${left} bytes, less than a frame header`);
    if (view.getUint32(offset, true) !== FRAME_MAGIC) return stop("bad magic");
    const bodyLength = view.getUint32(offset + 4, true);
    if (bodyLength > MAX_BODY_BYTES) return stop(`impossible length ${bodyLength}`);
    const end = offset + FRAME_HEADER_BYTES + bodyLength;
    if (end > bytes.length) {
      return stop(`frame of ${bodyLength} bytes cut short after ${left - FRAME_HEADER_BYTES}`);
    }
    const start = offset + FRAME_HEADER_BYTES;
    if (crc32(bytes, start, end) !== view.getUint32(offset + 8, true)) {
      return stop("checksum mismatch");
    }
    const record = decodeBody(bytes, start, bodyLength);
    if (typeof record === "string") return stop(record);
    if (!(record.seq > lastSeq)) return stop(`seq ${record.seq} not above ${lastSeq}`);
    lastSeq = record.seq;
    frames.push({ record, offset, length: end - offset });
    offset = end;
  }
  return { frames, goodBytes: offset };
}

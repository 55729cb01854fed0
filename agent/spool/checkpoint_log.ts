/**
 * The spool's checkpoint on disk: `checkpoint.log`, an append-only log of checkpoints of
 * which the last whole one counts. Appending one small frame per answer costs far less CPU
 * than rewriting a file atomically (temporary file, fsync, rename) every time, which at a
 * 10 s interval was a good part of the agent's CPU budget.
 *
 * Layout: a sequence of frames, each (little endian)
 *
 * ```
 * offset size
 *   0     4   payload length N (never 0)
 *   4     4   CRC-32 of the payload
 *   8     N   payload: the checkpoint as encodeCheckpoint writes it (one line of JSON)
 * ```
 *
 * Reading takes the last frame of the longest run of whole frames from the start; a torn or
 * damaged tail (a frame cut short, a length or checksum that does not match, zeros a power
 * loss left) is skipped, counted (`spool_checkpoint_torn_total`) and logged. A log with no
 * whole frame, or whose last whole frame is not a valid checkpoint, can only be outside
 * damage: counted (`spool_checkpoint_damaged_total`), logged as an error, and the empty
 * checkpoint is used (every batch in the spool is resent; the server de-duplicates).
 *
 * Writing: the first write after opening, a write after a failed one, and a write that would
 * take the log past `compactAfterBytes` replace the whole log with a single frame
 * (`writeAtomic`, with an fsync of the directory), so nothing is ever appended after a torn
 * frame and the log stays small. Every other write appends one frame; `durable` writes
 * (claims) are fdatasync'ed, which also makes every frame before them durable, and the
 * others (acknowledgements) are not synced at all: a finished `write()` survives `kill -9`
 * (the page cache outlives the process) but maybe not a power loss.
 *
 * Migration: when `checkpoint.log` is missing but a `checkpoint.json` of the previous
 * version (replaced atomically on every write) exists, it is read instead; the first write
 * creates the log and then removes `checkpoint.json` and `checkpoint.json.tmp`.
 *
 * @example
 * ```ts
 * const { log, checkpoint } = await CheckpointLog.open({ fs, dir, logger, counters });
 * await log.write(next, true); // a claim: fdatasync'ed
 * await log.write(later, false); // an acknowledgement: appended only
 * log.close();
 * ```
 */
import type { Logger } from "../../shared/log.ts";
import type { Counters } from "../counters.ts";
import { errorMessage } from "../errors.ts";
import {
  type Checkpoint,
  decodeCheckpoint,
  emptyCheckpoint,
  encodeCheckpoint,
} from "./checkpoint.ts";
import { crc32 } from "./crc32.ts";
import type { AppendFile, SpoolFs } from "./spool_fs.ts";

/** The log's file name in the spool directory. */
export const CHECKPOINT_LOG = "checkpoint.log";
/** The checkpoint file of the previous version, migrated at the first write. */
export const LEGACY_CHECKPOINT = "checkpoint.json";
/** Default size after which the log is compacted to a single frame: 64 KiB. */
export const DEFAULT_COMPACT_AFTER_BYTES = 64 * 1024;
/** Bytes before the payload: length and checksum. */
export const CHECKPOINT_FRAME_HEADER_BYTES = 8;
/** Longest payload accepted when reading: larger lengths can only be damage. */
const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;

/** Frames a checkpoint payload (or any bytes: tests frame bad JSON with it). */
export function encodeCheckpointFrame(payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(CHECKPOINT_FRAME_HEADER_BYTES + payload.length);
  const view = new DataView(frame.buffer);
  view.setUint32(0, payload.length, true);
  view.setUint32(4, crc32(payload), true);
  frame.set(payload, CHECKPOINT_FRAME_HEADER_BYTES);
  return frame;
}

/** What a scan of the log found. */
export interface CheckpointLogScan {
  /** How many whole frames lead the log. */
  frames: number;
  /** The payload of the last whole frame, or null. */
  last: Uint8Array | null;
  /** Bytes from the start up to the end of the last whole frame. */
  goodBytes: number;
  /** Set when bytes remain after the last whole frame: what was wrong with them. */
  problem?: string;
}

/** Reads whole frames from the start of `bytes` and stops at the first one that is not. */
export function scanCheckpointLog(bytes: Uint8Array): CheckpointLogScan {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  let frames = 0;
  let last: Uint8Array | null = null;
  const stop = (problem: string) => ({ frames, last, goodBytes: offset, problem });
  while (offset < bytes.length) {
    const left = bytes.length - offset;
    if (left < CHECKPOINT_FRAME_HEADER_BYTES) return stop(`${left} bytes, less than a header`);
    const length = view.getUint32(offset, true);
    if (length === 0) return stop("zero length");
    if (length > MAX_PAYLOAD_BYTES) return stop(`impossible length ${length}`);
    const start = offset + CHECKPOINT_FRAME_HEADER_BYTES;
    const end = start + length;
    if (end > bytes.length) {
      return stop(`frame of ${length} bytes cut short after ${bytes.length - start}`);
    }
    if (crc32(bytes, start, end) !== view.getUint32(offset + 4, true)) {
      return stop("checksum mismatch");
    }
    last = bytes.subarray(start, end);
    frames++;
    offset = end;
  }
  return { frames, last, goodBytes: offset };
}

/** What the checkpoint log needs. */
export interface CheckpointLogOptions {
  /** The spool directory. */
  dir: string;
  fs: SpoolFs;
  logger: Logger;
  counters: Counters;
  /** Size after which a write compacts the log (default 64 KiB). */
  compactAfterBytes?: number;
}

/** The append-only checkpoint log of one spool directory; see the module comment. */
export class CheckpointLog {
  readonly #o: CheckpointLogOptions;
  readonly #path: string;
  /** Open for appending; null until the first write, and after a failed write. */
  #file: AppendFile | null = null;
  #size = 0;
  /** The size past which the next write compacts. */
  #limit: number;
  #legacyLeft = true;

  private constructor(o: CheckpointLogOptions) {
    this.#o = o;
    this.#path = `${o.dir}/${CHECKPOINT_LOG}`;
    this.#limit = o.compactAfterBytes ?? DEFAULT_COMPACT_AFTER_BYTES;
  }

  /**
   * Reads the last checkpoint (from a previous version's `checkpoint.json` when there is no
   * log yet). Writes nothing: the first `write()` replaces the log.
   */
  static async open(
    o: CheckpointLogOptions,
  ): Promise<{ log: CheckpointLog; checkpoint: Checkpoint }> {
    const log = new CheckpointLog(o);
    return { log, checkpoint: await log.#read() };
  }

  async #read(): Promise<Checkpoint> {
    const { fs, dir, logger, counters } = this.#o;
    const bytes = await fs.readFile(this.#path);
    if (bytes === null) {
      const legacy = await fs.readFile(`${dir}/${LEGACY_CHECKPOINT}`);
      return legacy === null ? emptyCheckpoint() : this.#decode(legacy, LEGACY_CHECKPOINT);
    }
    const scan = scanCheckpointLog(bytes);
    if (scan.last === null) {
      return this.#damaged(`no whole frame: ${scan.problem ?? "empty file"}`, CHECKPOINT_LOG);
    }
    if (scan.problem) {
      // The last append was cut short (or a power loss left garbage after the synced part).
      counters.inc("spool_checkpoint_torn_total");
      logger.warn(
        "spool: torn end of the checkpoint log skipped; the checkpoint before it is used",
        {
          file: CHECKPOINT_LOG,
          skipped_bytes: bytes.length - scan.goodBytes,
          problem: scan.problem,
        },
      );
    }
    return this.#decode(scan.last, CHECKPOINT_LOG);
  }

  #decode(bytes: Uint8Array, file: string): Checkpoint {
    try {
      return decodeCheckpoint(bytes);
    } catch (e) {
      return this.#damaged(errorMessage(e), file);
    }
  }

  /**
   * Only outside damage can cause this (frames are checksummed, and the log and the previous
   * version's file are replaced atomically): resend everything.
   */
  #damaged(error: string, file: string): Checkpoint {
    this.#o.counters.inc("spool_checkpoint_damaged_total");
    this.#o.logger.error("spool: checkpoint damaged; every batch in the spool will be resent", {
      file,
      error,
    });
    return emptyCheckpoint();
  }

  /**
   * Records `checkpoint` as the latest. `durable`: it must survive a power loss (a claim about
   * to be sent), so it is fdatasync'ed; otherwise it is only appended (survives `kill -9`).
   */
  async write(checkpoint: Checkpoint, durable: boolean): Promise<void> {
    const frame = encodeCheckpointFrame(encodeCheckpoint(checkpoint));
    const file = this.#file;
    if (file === null || this.#size + frame.length > this.#limit) return this.#compact(frame);
    try {
      await file.write(frame);
      this.#size += frame.length;
      if (durable) await file.sync();
    } catch (e) {
      // Maybe a partial frame: never append after it; the next write replaces the log.
      this.close();
      throw new Error(`spool: writing ${CHECKPOINT_LOG}: ${errorMessage(e)}`, { cause: e });
    }
  }

  /** Replaces the log with the single `frame` (durably) and reopens it for appending. */
  async #compact(frame: Uint8Array): Promise<void> {
    const { fs, dir } = this.#o;
    try {
      await fs.writeAtomic(this.#path, frame, { syncDir: true });
    } catch (e) {
      // The rename may have happened: the open file may no longer be the log. Retry next time.
      this.close();
      throw new Error(`spool: writing ${CHECKPOINT_LOG}: ${errorMessage(e)}`, { cause: e });
    }
    this.close();
    this.#size = frame.length;
    // A checkpoint larger than the threshold still gets a few appends before the next compaction.
    this.#limit = Math.max(
      this.#o.compactAfterBytes ?? DEFAULT_COMPACT_AFTER_BYTES,
      4 * frame.length,
    );
    if (this.#legacyLeft) {
      await fs.remove(`${dir}/${LEGACY_CHECKPOINT}`);
      await fs.remove(`${dir}/${LEGACY_CHECKPOINT}.tmp`);
      this.#legacyLeft = false;
    }
    this.#file = await fs.openAppend(this.#path);
  }

  /** Closes the log file (a later write would reopen it by compacting). */
  close(): void {
    this.#file?.close();
    this.#file = null;
  }
}

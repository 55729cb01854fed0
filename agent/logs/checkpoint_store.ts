/**
 * The log tailer's checkpoint: for every file, where reading resumes (the offset up to which the
 * server acknowledged every line), plus the read decisions later lines depend on (see
 * `FileCheckpoint`). Kept in `$AGENT_STATE_DIR/logs/`.
 *
 * Written atomically (temporary file, fsync, rename, fsync of the directory) into two slots
 * in turn, `checkpoint.a.json` and `checkpoint.b.json`, each a JSON line followed by the line's
 * SHA-256. Reading takes the valid slot with the highest sequence number, so a checkpoint that
 * is damaged (by a disk, or a hand) never causes a re-read of everything: the previous good
 * one is used, and that costs only a few duplicate sends, which the server drops.
 *
 * @example
 * ```ts
 * const { store, checkpoint, existed } = await LogCheckpointStore.open(`${stateDir}/logs`, fs, logger, counters);
 * await store.write({ files: [...] });
 * ```
 */
import type { Logger } from "../../shared/log.ts";
import type { Counters } from "../counters.ts";
import { errorMessage } from "../errors.ts";
import type { LogFs } from "./log_fs.ts";

/** `[start, end, timeMs]`: lines starting in [start, end) that need a reference time use timeMs. */
export type Anchor = [number, number, number];

/** One file's entry. */
export interface FileCheckpoint {
  dev: number;
  ino: number;
  /** Bumped when the file was truncated (copytruncate) and read again from its start. */
  gen: number;
  /** The id entries of this file carry (de-duplication key with the offset). */
  fileId: string;
  /** The path the file was found at; entries' `source`. */
  source: string;
  /** Where it was seen last (after a rename, the new path). */
  path: string;
  /** How many first bytes the fingerprint covers, and their SHA-256 (hex). */
  fpLen: number;
  fpSha256: string;
  /**
   * Where the fingerprint starts: the length of the run of NUL bytes the file begins with (the
   * hole a writer that does not append leaves after a truncation); absent when 0.
   */
  fpAt?: number;
  /** Every byte before this offset is acknowledged by the server (or was never to be sent). */
  offset: number;
  /**
   * Read-time decisions for bytes at or after `offset`, so a re-read after a restart gives the
   * same entries as the first read: the reference times lines without a usable timestamp got,
   * and the offsets where a partial line (or a stack trace) was flushed without waiting.
   */
  anchors: Anchor[];
  cuts: number[];
}

/** The whole checkpoint. */
export interface LogCheckpoint {
  files: FileCheckpoint[];
}

/** What opening found. */
export interface OpenedCheckpoint {
  store: LogCheckpointStore;
  /** The newest valid checkpoint, or null. */
  checkpoint: LogCheckpoint | null;
  /** True when a checkpoint file existed (even a damaged one): this is not the very first start. */
  existed: boolean;
}

const SLOTS = ["checkpoint.a.json", "checkpoint.b.json"] as const;
const VERSION = 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

const isUint = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isText = (v: unknown, max: number): v is string =>
  typeof v === "string" && v.length > 0 && v.length <= max;

function readFile(o: unknown, i: number): FileCheckpoint {
  const f = o as Record<string, unknown>;
  const where = `files[${i}]`;
  if (typeof f !== "object" || f === null) throw new Error(`${where} is not an object`);
  for (const k of ["dev", "ino", "gen", "fpLen", "offset"]) {
    if (!isUint(f[k])) throw new Error(`${where}.${k} must be a non-negative integer`);
  }
  if (!isText(f.fileId, 64) || !/^[A-Za-z0-9._:-]+$/.test(f.fileId)) {
    throw new Error(`${where}.fileId is invalid`);
  }
  if (!isText(f.source, 4096) || !isText(f.path, 4096)) {
    throw new Error(`${where}.source and path must be paths`);
  }
  if (typeof f.fpSha256 !== "string" || !/^[0-9a-f]{64}$/.test(f.fpSha256)) {
    throw new Error(`${where}.fpSha256 must be 64 hex digits`);
  }
  if (f.fpAt !== undefined && !isUint(f.fpAt)) {
    throw new Error(`${where}.fpAt must be a non-negative integer`);
  }
  if (!Array.isArray(f.anchors) || !Array.isArray(f.cuts)) {
    throw new Error(`${where}.anchors and cuts must be arrays`);
  }
  const anchors = f.anchors.map((a, j) => {
    if (!Array.isArray(a) || a.length !== 3 || !a.every(isUint) || a[0] >= a[1]) {
      throw new Error(`${where}.anchors[${j}] must be [start, end, timeMs] with start < end`);
    }
    return [a[0], a[1], a[2]] as Anchor;
  });
  const cuts = f.cuts.map((c, j) => {
    if (!isUint(c)) throw new Error(`${where}.cuts[${j}] must be an offset`);
    return c;
  });
  return {
    dev: f.dev as number,
    ino: f.ino as number,
    gen: f.gen as number,
    fileId: f.fileId,
    source: f.source,
    path: f.path,
    fpLen: f.fpLen as number,
    fpSha256: f.fpSha256,
    ...(f.fpAt ? { fpAt: f.fpAt as number } : {}),
    offset: f.offset as number,
    anchors: anchors.sort((a, b) => a[0] - b[0]),
    cuts: cuts.sort((a, b) => a - b),
  };
}

/** Parses one slot's bytes; throws naming what is wrong. Exported for tests. */
export async function decodeSlot(bytes: Uint8Array): Promise<{ seq: number; cp: LogCheckpoint }> {
  const text = decoder.decode(bytes);
  const nl = text.indexOf("\n");
  if (nl < 0) throw new Error("no checksum line (cut short?)");
  const body = text.slice(0, nl);
  const sum = text.slice(nl + 1).trim();
  if (await sha256Hex(encoder.encode(body)) !== sum) throw new Error("checksum does not match");
  const o = JSON.parse(body);
  if (o?.version !== VERSION) throw new Error(`unknown version ${o?.version}`);
  if (!isUint(o.seq)) throw new Error("seq must be a non-negative integer");
  if (!Array.isArray(o.files)) throw new Error("files must be an array");
  return { seq: o.seq, cp: { files: o.files.map(readFile) } };
}

/** Reads and writes the two checkpoint slots in `dir`. */
export class LogCheckpointStore {
  #seq: number;
  #next: 0 | 1;

  private constructor(
    private readonly dir: string,
    private readonly fs: LogFs,
    seq: number,
    next: 0 | 1,
  ) {
    this.#seq = seq;
    this.#next = next;
  }

  /** Opens the store in `dir` (created when missing) and reads the newest valid checkpoint. */
  static async open(
    dir: string,
    fs: LogFs,
    logger: Logger,
    counters: Counters,
  ): Promise<OpenedCheckpoint> {
    await fs.ensureDir(dir);
    let best: { seq: number; cp: LogCheckpoint; slot: 0 | 1 } | null = null;
    let existed = false;
    for (const slot of [0, 1] as const) {
      const path = `${dir}/${SLOTS[slot]}`;
      const bytes = await fs.readFile(path);
      if (bytes === null) continue;
      existed = true;
      try {
        const { seq, cp } = await decodeSlot(bytes);
        if (!best || seq > best.seq) best = { seq, cp, slot };
      } catch (e) {
        counters.inc("log_checkpoint_damaged_total");
        logger.error("logs: checkpoint slot damaged; the other slot is used", {
          file: path,
          error: errorMessage(e),
        });
      }
    }
    if (existed && !best) {
      logger.error(
        "logs: every checkpoint slot is damaged; files are treated as at a first start " +
          "(LOG_START_AT), never re-read in full",
        { dir },
      );
    }
    const store = new LogCheckpointStore(
      dir,
      fs,
      best?.seq ?? 0,
      best ? (best.slot === 0 ? 1 : 0) : 0,
    );
    return { store, checkpoint: best?.cp ?? null, existed };
  }

  /** Writes `cp` atomically into the older slot; the newer one stays as the previous good one. */
  async write(cp: LogCheckpoint): Promise<void> {
    const seq = this.#seq + 1;
    const body = JSON.stringify({ version: VERSION, seq, files: cp.files });
    const data = encoder.encode(`${body}\n${await sha256Hex(encoder.encode(body))}\n`);
    const path = `${this.dir}/${SLOTS[this.#next]}`;
    try {
      await this.fs.writeAtomic(path, data);
    } catch (e) {
      throw new Error(`logs: writing the checkpoint ${path}: ${errorMessage(e)}`, { cause: e });
    }
    this.#seq = seq;
    this.#next = this.#next === 0 ? 1 : 0;
  }
}

export { sha256Hex };

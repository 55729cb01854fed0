/**
 * One tailed file: its identity, its open handle, and the pipeline from bytes to entries
 * (lines, continuation lines joined, blank lines dropped, time and level parsed), plus which
 * of its bytes the server has acknowledged.
 *
 * Identity: device and inode, a fingerprint of the first bytes (up to `FINGERPRINT_MAX_BYTES`,
 * growing with the file up to that), and a generation bumped on each truncation. The entries'
 * `file` id is derived from all four when the first byte is seen, then kept (in the checkpoint).
 * The fingerprint starts at `fpAt`, after the run of NUL bytes the file begins with (0 but for
 * the hole a writer that does not append leaves after a truncation), so that it is data.
 *
 * Acknowledgement: every batch covers a span of each file's bytes; spans are acknowledged in any
 * order but the committed offset (what the checkpoint stores) advances only over a contiguous
 * run of acknowledged spans.
 *
 * Determinism: a re-read after a restart must give the same entries (same offsets and times) so
 * the server can drop the duplicates. The two choices made at run time are recorded in the
 * checkpoint before the entries they shape are handed out: the reference time of lines without
 * a usable timestamp (`anchors`), and the offsets where a line or an entry was ended by a
 * timer rather than by the data (`cuts`).
 */
import type { LogEntry } from "../../shared/log_entry.ts";
import { LOG_LIMITS, utf8ByteLength } from "../../shared/log_entry.ts";
import type { Anchor, FileCheckpoint } from "./checkpoint_store.ts";
import { sha256Hex } from "./checkpoint_store.ts";
import { parseEntryHead } from "./entry_head.ts";
import { LineSplitter, type RawLine } from "./line_splitter.ts";
import type { OpenLogFile } from "./log_fs.ts";
import { formatInstant, type Instant, resolveTime } from "./timestamp.ts";
import { utf8Boundary } from "./utf8.ts";

/** Most first bytes a fingerprint covers. */
export const FINGERPRINT_MAX_BYTES = 1024;
/** Lines read within this long of an anchor share its reference time. */
export const ANCHOR_SPAN_MS = 1000;
/** Past this many anchors in a file, the last one is extended whatever its age. */
export const MAX_ANCHORS = 10_000;
/** Parsed times further ahead of the read time than this are replaced by the read time. */
export const MAX_FUTURE_MS = 10 * 60 * 1000;

/** An entry read from a file, with the file and generation it belongs to and its end offset. */
export interface PolledEntry {
  entry: LogEntry;
  tail: FileTail;
  gen: number;
  /** The offset just after the entry's last byte. */
  end: number;
}

/** Settings shared by every tail. */
export interface FileTailOptions {
  host: string;
  maxLineBytes: number;
  partialFlushMs: number;
  /** How long a complete entry waits for indented continuation lines. */
  continuationWaitMs: number;
  now: () => number;
}

/** How a tail starts. */
export interface FileTailInit {
  file: OpenLogFile;
  dev: number;
  ino: number;
  path: string;
  source: string;
  gen: number;
  /** Known when resuming from the checkpoint. */
  fileId: string | null;
  /** The verified first bytes, when known. */
  fingerprint: Uint8Array | null;
  /** The acknowledged offset; reading starts here unless `start` says otherwise. */
  committed: number;
  anchors?: Anchor[];
  cuts?: number[];
}

interface Pending {
  offset: number;
  end: number;
  first: string;
  parts: string[];
  bytes: number;
  truncated: boolean;
  /** True once the message is full: further continuation lines are absorbed, not added. */
  full: boolean;
  lastAt: number;
}

interface Span {
  end: number;
  acked: boolean;
}

const decoder = new TextDecoder();

function isBlank(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b !== 32 && b !== 9 && b !== 13 && b !== 11 && b !== 12) return false;
  }
  return true;
}

/** Replaces NUL (PostgreSQL text cannot hold it) and keeps the message within the byte limit. */
function storableMessage(text: string, maxBytes: number): { text: string; cut: boolean } {
  if (!text.includes("\u0000")) return { text, cut: false };
  let out = text.replaceAll("\u0000", "\uFFFD");
  if (utf8ByteLength(out) <= maxBytes) return { text: out, cut: false };
  while (utf8ByteLength(out) > maxBytes) {
    out = out.slice(0, Math.max(0, out.length - Math.ceil((utf8ByteLength(out) - maxBytes) / 3)));
    if (out.length > 0 && /[\uD800-\uDBFF]$/.test(out)) out = out.slice(0, -1);
  }
  return { text: out, cut: true };
}

/** Derives an entry file id from the identity: 24 hex digits of a SHA-256. */
export async function deriveFileId(
  dev: number,
  ino: number,
  gen: number,
  fingerprint: Uint8Array,
): Promise<string> {
  const head = new TextEncoder().encode(`${dev}:${ino}:${gen}:`);
  const all = new Uint8Array(head.length + fingerprint.length);
  all.set(head);
  all.set(fingerprint, head.length);
  return (await sha256Hex(all)).slice(0, 24);
}

/** One tailed file; see the module comment. */
export class FileTail {
  file: OpenLogFile | null;
  dev: number;
  ino: number;
  /** Where the file was seen last. */
  path: string;
  /** The path it was found at: every entry's `source`. */
  readonly source: string;
  readonly gen: number;
  fileId: string | null;
  fingerprint: Uint8Array | null;
  fingerprintSha256: string | null = null;
  /** Where the fingerprint starts: the length of the leading NUL run (a hole), usually 0. */
  fpAt = 0;
  /** Seen at a configured path in the last reconciliation. */
  matched = true;
  /** No longer at a configured path: read to the end, then let go. */
  draining = false;
  /** When `draining` was set. */
  drainingSince = 0;
  /** Let go (finished); kept until its spans are acknowledged. */
  released = false;
  releasedAt = 0;
  /** Its bytes can never be read again (truncated without a copy): not checkpointed. */
  gone = false;
  /** Size and mtime at the last fingerprint check (the check is skipped while they stay). */
  checkedSize = -1;
  checkedMtime: number | null = null;
  /**
   * Largest size seen of this generation (each verified by the fingerprint after the stat), for
   * counting bytes lost to a truncation.
   */
  maxSeenSize = 0;
  /**
   * Set on the generation after a truncation: every byte of the previous one before this offset
   * is read, in the copy, or counted as lost. A leading hole (see `fpAt`) shows how long the
   * previous generation was; what it shows past this offset is counted as lost once measured.
   */
  lossBase: number | null = null;
  /**
   * Largest size seen without the fingerprint checked after it (a look after a watch event, or a
   * stat followed by a failed check): this generation's, or the next one's if the truncation came
   * first. When the truncation is handled it counts as this generation's if it is larger than the
   * next generation is then (that one only grew since any size of it seen earlier).
   */
  unverifiedSize = 0;
  /** The sampling of this generation's size through a copytruncate (`SizeSampler`), if any. */
  samplingId: number | null = null;
  lastGrowthAt: number;
  /** Set when a decision (anchor, cut) was recorded that the checkpoint does not hold yet. */
  decisionsDirty = false;

  #splitter: LineSplitter;
  #pending: Pending | null = null;
  #anchors: Anchor[];
  #cuts: number[];
  #committed: number;
  #spans: Span[] = [];
  #spanById = new Map<string, Span>();
  #lines: RawLine[] = [];

  constructor(private readonly opts: FileTailOptions, init: FileTailInit, start?: number) {
    this.file = init.file;
    this.dev = init.dev;
    this.ino = init.ino;
    this.path = init.path;
    this.source = init.source;
    this.gen = init.gen;
    this.fileId = init.fileId;
    this.fingerprint = init.fingerprint;
    this.#committed = init.committed;
    this.#anchors = [...(init.anchors ?? [])].sort((a, b) => a[0] - b[0]);
    this.#cuts = [...(init.cuts ?? [])].sort((a, b) => a - b);
    const from = start ?? init.committed;
    this.#splitter = new LineSplitter(opts.maxLineBytes, from);
    this.#splitter.setCuts(this.#cuts);
    this.lastGrowthAt = opts.now();
  }

  /** `dev:ino`, the key tails are found by. */
  get key(): string {
    return `${this.dev}:${this.ino}`;
  }

  /** Offset of the next byte to read. */
  get readEnd(): number {
    return this.#splitter.readEnd;
  }

  /** Every byte before this is in an entry handed out, or was dropped (blank, too long). */
  get consumed(): number {
    return this.#pending ? this.#pending.offset : this.#splitter.consumed;
  }

  /** The acknowledged offset. */
  get committed(): number {
    return this.#committed;
  }

  /** True when an incomplete line or an entry waiting for continuation lines is held. */
  get holding(): boolean {
    return this.#pending !== null || this.#splitter.pendingBytes > 0;
  }

  /** True when every byte consumed is acknowledged. */
  get settled(): boolean {
    return this.#spans.length === 0 && this.#committed >= this.consumed;
  }

  /**
   * Sets the fingerprint from the file's first bytes of data (at `at`, the end of its leading NUL
   * run); derives the file id the first time.
   */
  async setFingerprint(bytes: Uint8Array, at = this.fpAt): Promise<void> {
    this.fpAt = at;
    this.fingerprint = bytes;
    this.fingerprintSha256 = await sha256Hex(bytes);
    this.fileId ??= await deriveFileId(this.dev, this.ino, this.gen, bytes);
  }

  /** Skips to `offset` (past a hole) when no line is held and it is ahead; true when it did. */
  skipTo(offset: number): boolean {
    return this.#splitter.skipTo(offset);
  }

  /** Feeds bytes read at `readEnd`; finished entries go to `out`. */
  push(chunk: Uint8Array, out: PolledEntry[]): void {
    if (chunk.length === 0) return;
    this.lastGrowthAt = this.opts.now();
    this.#splitter.push(chunk, this.#lines);
    this.#drainLines(out);
  }

  /** Runs the timers: a partial line waiting too long is flushed, an entry waiting for continuation lines is handed out. */
  tick(out: PolledEntry[]): void {
    const now = this.opts.now();
    if (this.#splitter.pendingBytes > 0 && now - this.lastGrowthAt >= this.opts.partialFlushMs) {
      const cut = this.#splitter.flushPartial(this.#lines);
      if (cut !== null) this.#recordCut(cut);
      this.#drainLines(out);
    }
    const p = this.#pending;
    if (p && now - p.lastAt >= this.opts.continuationWaitMs && !this.#partialMayContinue()) {
      this.#emit(out);
      this.#recordCut(this.#splitter.consumed);
    }
  }

  /** Ends reading: flushes the partial line and the waiting entry (the file is let go or truncated). */
  finish(out: PolledEntry[]): void {
    const cut = this.#splitter.flushPartial(this.#lines);
    if (cut !== null) this.#recordCut(cut);
    this.#drainLines(out);
    if (this.#pending) {
      this.#emit(out);
      this.#recordCut(this.#splitter.consumed);
    }
  }

  /** The earliest time a timer of this tail fires, or null. */
  nextDeadline(): number | null {
    let t: number | null = null;
    if (this.#splitter.pendingBytes > 0) t = this.lastGrowthAt + this.opts.partialFlushMs;
    // An entry waiting for a partial line that may continue it waits for that line's flush.
    if (this.#pending && !this.#partialMayContinue()) {
      const c = this.#pending.lastAt + this.opts.continuationWaitMs;
      t = t === null ? c : Math.min(t, c);
    }
    return t;
  }

  // ------------------------------------------------------------ acknowledgement

  /** Records that batch `id` carries this tail's bytes up to `end`. */
  track(id: string, end: number): void {
    const last = this.#spans.at(-1)?.end ?? this.#committed;
    if (end <= last) return;
    const span = { end, acked: false };
    this.#spans.push(span);
    this.#spanById.set(id, span);
  }

  /** Bytes consumed after the last tracked batch (blank lines, a truncated rest) need no acknowledgement. */
  settle(): boolean {
    const last = this.#spans.at(-1)?.end ?? this.#committed;
    if (this.consumed > last) this.#spans.push({ end: this.consumed, acked: true });
    return this.#advance();
  }

  /** Batch `id` was acknowledged; true when the committed offset moved. */
  ack(id: string): boolean {
    const span = this.#spanById.get(id);
    if (!span) return false;
    this.#spanById.delete(id);
    span.acked = true;
    return this.#advance();
  }

  #advance(): boolean {
    let moved = false;
    while (this.#spans.length > 0 && this.#spans[0].acked) {
      this.#committed = this.#spans.shift()!.end;
      moved = true;
    }
    if (moved) {
      while (this.#anchors.length > 0 && this.#anchors[0][1] <= this.#committed) {
        this.#anchors.shift();
      }
      while (this.#cuts.length > 0 && this.#cuts[0] <= this.#committed) this.#cuts.shift();
    }
    return moved;
  }

  /** The checkpoint entry of this tail (the fingerprint hash of an empty file is that of no bytes). */
  checkpoint(emptySha256: string): FileCheckpoint {
    return {
      dev: this.dev,
      ino: this.ino,
      gen: this.gen,
      fileId: this.fileId ?? "-",
      source: this.source,
      path: this.path,
      fpLen: this.fingerprint?.length ?? 0,
      fpSha256: this.fingerprintSha256 ?? emptySha256,
      ...(this.fpAt > 0 && this.fingerprint ? { fpAt: this.fpAt } : {}),
      offset: this.#committed,
      anchors: this.#anchors.map((a) => [...a] as Anchor),
      cuts: [...this.#cuts],
    };
  }

  // ------------------------------------------------------------ pipeline

  #partialMayContinue(): boolean {
    return this.#splitter.pendingBytes > 0 && this.#splitter.pendingStartsIndented;
  }

  #recordCut(offset: number): void {
    if (offset <= this.#committed) return;
    const last = this.#cuts.at(-1);
    if (last !== undefined && last >= offset) return;
    this.#cuts.push(offset);
    this.decisionsDirty = true;
  }

  /** True when a cut lies in [from, to]: an entry ended there, so no line may join across it. */
  #cutBetween(from: number, to: number): boolean {
    const cuts = this.#cuts;
    let lo = 0;
    let hi = cuts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cuts[mid] < from) lo = mid + 1;
      else hi = mid;
    }
    return lo < cuts.length && cuts[lo] <= to;
  }

  #drainLines(out: PolledEntry[]): void {
    const lines = this.#lines;
    for (let i = 0; i < lines.length; i++) this.#line(lines[i], out);
    lines.length = 0;
  }

  #line(line: RawLine, out: PolledEntry[]): void {
    const bytes = line.bytes;
    if (isBlank(bytes)) return;
    const p = this.#pending;
    const indented = bytes[0] === 32 || bytes[0] === 9;
    if (p && indented && !this.#cutBetween(p.end, line.offset)) {
      p.end = line.end;
      p.lastAt = this.opts.now();
      if (p.full) return;
      const room = this.opts.maxLineBytes - p.bytes - 1;
      if (bytes.length <= room) {
        p.parts.push(decoder.decode(bytes));
        p.bytes += bytes.length + 1;
        if (line.truncated) p.truncated = true;
      } else {
        if (room > 0) {
          const cut = utf8Boundary(bytes, room);
          p.parts.push(decoder.decode(bytes.subarray(0, cut)));
          p.bytes += cut + 1;
        }
        p.truncated = true;
        p.full = true;
      }
      return;
    }
    if (p) this.#emit(out);
    this.#pending = {
      offset: line.offset,
      end: line.end,
      first: decoder.decode(bytes),
      parts: [],
      bytes: bytes.length,
      truncated: line.truncated,
      full: line.truncated,
      lastAt: this.opts.now(),
    };
  }

  #emit(out: PolledEntry[]): void {
    const p = this.#pending;
    if (!p) return;
    this.#pending = null;
    const head = parseEntryHead(p.first);
    const time = this.#timeOf(p.offset, head.found);
    const joined = p.parts.length === 0 ? p.first : p.first + "\n" + p.parts.join("\n");
    const message = storableMessage(joined, LOG_LIMITS.messageMaxBytes);
    const entry: LogEntry = {
      time: formatInstant(time),
      host: this.opts.host,
      source: this.source,
      level: head.level,
      message: message.text,
      file: this.fileId!,
      offset: p.offset,
    };
    if (p.truncated || message.cut) entry.truncated = true;
    out.push({ entry, tail: this, gen: this.gen, end: p.end });
  }

  #timeOf(offset: number, found: ReturnType<typeof parseEntryHead>["found"]): Instant {
    if (found && found.kind === "absolute") {
      const covering = this.#covering(offset);
      const limit = (covering ?? this.opts.now()) + MAX_FUTURE_MS;
      if (found.ms <= limit) return { ms: found.ms, micros: found.micros };
      // A clock or zone far off: the line is stamped with its read time instead.
      return { ms: this.#reference(offset), micros: 0 };
    }
    const ref = this.#reference(offset);
    if (found) {
      const t = resolveTime(found, ref);
      if (t) return t;
    }
    return { ms: ref, micros: 0 };
  }

  /** The reference time of an anchor covering `offset`, or null. */
  #covering(offset: number): number | null {
    const a = this.#anchors;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid][0] <= offset) lo = mid + 1;
      else hi = mid;
    }
    const i = lo - 1;
    return i >= 0 && offset < a[i][1] ? a[i][2] : null;
  }

  /** The reference (read) time of a line at `offset`: a recorded anchor's, or now (recorded). */
  #reference(offset: number): number {
    const covering = this.#covering(offset);
    if (covering !== null) return covering;
    const now = this.opts.now();
    const end = Math.max(this.#splitter.readEnd, offset + 1);
    const last = this.#anchors.at(-1);
    if (
      last && offset >= last[1] &&
      (now - last[2] < ANCHOR_SPAN_MS || this.#anchors.length >= MAX_ANCHORS)
    ) {
      last[1] = end;
      this.decisionsDirty = true;
      return last[2];
    }
    const anchor: Anchor = [offset, end, now];
    let i = this.#anchors.length;
    while (i > 0 && this.#anchors[i - 1][0] > offset) i--;
    this.#anchors.splice(i, 0, anchor);
    this.decisionsDirty = true;
    return now;
  }
}

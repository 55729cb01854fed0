/**
 * The agent's on-disk spool: every batch is appended here before it is sent and stays
 * until the server has acknowledged it, across outages, restarts and `kill -9`.
 *
 * Files in the spool directory (`$AGENT_STATE_DIR/spool`):
 *
 * - `NNNNNNNNNNNNNNNNNNNN.seg`: segments, named by the seq of their first record; records
 *   are appended as checksummed frames (see record_frame.ts), and a segment is deleted
 *   once every record in it is finished (delivered, rejected or dropped).
 * - `checkpoint.log`: what is finished and what is claimed by a request that may have
 *   reached the server (see checkpoint.ts), as an append-only log of checksummed frames of
 *   which the last whole one counts (see checkpoint_log.ts). A `checkpoint.json` left by the
 *   previous version (replaced atomically on every write) is read once and removed.
 * - `LOCK`: held (flock) while an agent uses the spool, so two agents never share one.
 *
 * Durability (the fsync policy): an append resolves once the frame is written, so a batch
 * the collect loop handed over survives a crash of the agent (`kill -9`: the page cache
 * outlives the process). Against a crash of the machine (power loss, kernel panic), appended
 * frames are fdatasync'ed as soon as a batch has to wait ("deferred", the default):
 * - an append while other records are pending (the server is away or slow) is synced before
 *   it resolves, which also makes every earlier frame durable;
 * - a failed delivery attempt syncs what is unsynced (`syncPending()`, called by the
 *   delivery loop), as do a segment that is full and `close()` while records are pending;
 * - opening syncs every segment that holds pending records (the agent that wrote them may
 *   have died before it could).
 * So only the newest record can be pending and unsynced, and only when it was appended
 * alone: every claim written to the checkpoint (below) names synced records. A checkpoint
 * that reaches the disk ahead of the frames it acknowledges (writeback order is the
 * kernel's) is harmless: the next seq is counted past it at open, and those records were
 * delivered. In the steady state, where each batch is acknowledged a few milliseconds after
 * it is appended, a tick pays no fdatasync (only a segment's rotation does); what a machine
 * crash can take is the one batch whose first request is in flight (at most SEND_TIMEOUT,
 * or one interval), which the server usually holds already; every batch that waits for a
 * server that is away is durable. ("always" syncs every append, "never" none: for
 * benchmarks that compare.)
 *
 * The checkpoint is advanced only once the server has answered 2xx (or
 * refused the batch for good), and written as one frame appended to `checkpoint.log`:
 * - before every request that claims records (a merge, a solo mark, a split), and at open:
 *   appended and fdatasync'ed before the request goes, so a claim survives even a power
 *   loss (the fdatasync also makes every earlier frame durable);
 * - after every answer (acknowledgements, drops when full): appended without any sync. It
 *   survives `kill -9` (the page cache outlives the process); lost to a power loss, it only
 *   means those batches are resent, which the server de-duplicates by batch id.
 * The first write after open, and one that would take the log past 64 KiB (by default),
 * instead replace the log with a single frame (temporary file, fsync, rename, fsync of the
 * directory), so nothing is appended after a torn frame and the log stays small. After a
 * crash the spool reopens, drops a torn last record (a frame whose length or checksum does
 * not match) and a torn end of the checkpoint log (the checkpoint before it counts), and
 * resends only what was not acknowledged; the one request that may have been in flight is
 * resent under the same batch id, which the server de-duplicates.
 *
 * Claims and merging (why a retry never stores a sample twice): the server de-duplicates
 * by batch id only. A request carries either one record under that record's own batch id
 * ("solo"), or several consecutive records of one host merged into one batch with the id
 * `<first record's id>:<count>`. Before a request is sent, its shape is made durable: a
 * record appended while nothing else was pending (the steady state) carries a solo flag in
 * its own frame; any other record sent alone is first marked solo in the checkpoint; solo
 * records are never merged later;
 * a merged request is resent exactly as recorded (or a subset of it, when the size cap
 * dropped some of its records: the server then either holds the whole batch already or
 * none of it) until the server answers. A claim is forgotten, so its records may be
 * regrouped, only when the answer proves the server stored nothing (the connection could
 * not be opened, or a 4xx refused the request before storage) and the request had never
 * been sent with an uncertain outcome before. So every record reaches the server under
 * one id only, and the server's de-duplication makes delivery exactly once.
 *
 * Size: the segments together stay within `maxBytes`. When an append would exceed it,
 * whole segments are dropped, oldest first, preferring segments without log records (so
 * metric batches go first); every drop is counted and logged with what was lost.
 */
import type { Logger } from "../../shared/log.ts";
import { LIMITS } from "../../shared/metric_names.ts";
import type { Counters } from "../counters.ts";
import { errorMessage } from "../errors.ts";
import type { Checkpoint, MergedClaim } from "./checkpoint.ts";
import { CheckpointLog, DEFAULT_COMPACT_AFTER_BYTES } from "./checkpoint_log.ts";
import { encodeFrame, type NewRecord, type RecordKind, scanFrames } from "./record_frame.ts";
import { SeqRanges } from "./seq_ranges.ts";
import type { AppendFile, SpoolFs } from "./spool_fs.ts";

/** Default size cap of the spool: 256 MiB. */
export const DEFAULT_SPOOL_MAX_BYTES = 256 * 1024 * 1024;
/** How long opening waits for another agent to release the spool's lock. */
const LOCK_TIMEOUT_MS = 2000;
/** Default bytes of recently appended payloads kept in memory, so sending rarely reads disk. */
const DEFAULT_CACHE_BYTES = 1024 * 1024;
const SEGMENT_RE = /^(\d{20})\.seg$/;

/** The segment size used for a size cap: a 32nd of it, between 4 KiB and 8 MiB. */
export function defaultSegmentBytes(maxBytes: number): number {
  return Math.min(8 * 1024 * 1024, Math.max(4096, Math.floor(maxBytes / 32)));
}

/**
 * When appended frames are fdatasync'ed: "deferred" (the agent's policy, see the module
 * comment), "always" (every append), "never" (a reference for benchmarks).
 */
export type AppendSync = "deferred" | "always" | "never";

/** What the spool needs. */
export interface SpoolOptions {
  /** The spool directory; created when missing. */
  dir: string;
  fs: SpoolFs;
  /** Most bytes the segments may take together. */
  maxBytes: number;
  /** Bytes after which a new segment is started; default `defaultSegmentBytes(maxBytes)`. */
  segmentBytes?: number;
  /** When appends are fdatasync'ed (default "deferred", see the fsync policy above). */
  appendSync?: AppendSync;
  cacheBytes?: number;
  /** How long opening waits for another process to release the spool (default 2 s). */
  lockTimeoutMs?: number;
  /** Size after which `checkpoint.log` is compacted to one frame (default 64 KiB). */
  checkpointCompactBytes?: number;
  now: () => number;
  logger: Logger;
  counters: Counters;
}

/** How large one request may grow when records are merged. */
export interface ClaimLimits {
  /** Most items (metrics) in one request. */
  maxItems: number;
  /** Most payload bytes in one request. */
  maxBytes: number;
}

/** One record in a claim, with its payload read back. */
export interface ClaimedRecord {
  seq: number;
  id: string;
  items: number;
  payload: Uint8Array;
}

/** Records claimed for one request. */
export interface Claim {
  kind: RecordKind;
  host: string;
  /** The batch id of the request: the record's own id, or `<first id>:<count>` when merged. */
  id: string;
  merged: boolean;
  /** True when this claim was made now; false when it repeats one that may have been sent. */
  fresh: boolean;
  records: ClaimedRecord[];
  items: number;
}

/** The claims of one round, and the newest seq at the time (the live lane's next floor). */
export interface ClaimedRound {
  head: Claim | null;
  live: Claim | null;
  newestSeq: number;
}

/** How an append went. */
export type AppendResult = { seq: number } | { dropped: "too_large" };

/** A snapshot of the spool's size, for logs and metrics. */
export interface SpoolStats {
  pendingRecords: number;
  pendingItems: number;
  pendingBytes: number;
  /** Bytes of all segment files, finished records included. */
  totalBytes: number;
  segments: number;
  /** When the oldest pending record was appended (epoch ms), or null. */
  oldestPendingMs: number | null;
}

interface Segment {
  name: string;
  firstSeq: number;
  size: number;
  entries: Entry[];
  /** Every entry before this index is finished (records mostly finish in order). */
  cursor: number;
  pending: number;
  pendingLogs: number;
}

interface Entry {
  seq: number;
  kind: RecordKind;
  host: string;
  id: string;
  items: number;
  appendedAtMs: number;
  segment: Segment;
  offset: number;
  length: number;
  payloadOffset: number;
  done: boolean;
  solo: boolean;
  /** Solo by its frame's flag (appended when nothing was pending), not by the checkpoint. */
  bornSolo: boolean;
}

interface DropTally {
  batches: number;
  items: number;
  bytes: number;
  fromMs: number;
  toMs: number;
}

const segmentName = (seq: number) => `${String(seq).padStart(20, "0")}.seg`;
const iso = (ms: number) => new Date(ms).toISOString();

/** The on-disk spool. Open with `Spool.open`; every method is safe to call concurrently. */
export class Spool {
  readonly #o: Required<Omit<SpoolOptions, "segmentBytes">> & { segmentBytes: number };
  #segments: Segment[] = [];
  #index = new Map<number, Entry>();
  /** The segment appended to; `unsynced` while it holds frames not yet fdatasync'ed. */
  #active: { segment: Segment; file: AppendFile; unsynced: boolean } | null = null;
  /** Closed segments that may hold unsynced frames (an append whose sync and cut both failed). */
  #unsyncedClosed = new Set<string>();
  #nextSeq = 1;
  #merged: MergedClaim | null = null;
  #pending = 0;
  #pendingItems = 0;
  #pendingBytes = 0;
  #totalBytes = 0;
  #cache = new Map<number, Uint8Array>();
  #cacheBytes = 0;
  #chain: Promise<unknown> = Promise.resolve();
  #waiters = new Set<() => void>();
  #lock: { release(): void } | null = null;
  #log: CheckpointLog | null = null;
  #closed = false;

  private constructor(opts: SpoolOptions) {
    this.#o = {
      appendSync: "deferred",
      cacheBytes: DEFAULT_CACHE_BYTES,
      lockTimeoutMs: LOCK_TIMEOUT_MS,
      checkpointCompactBytes: DEFAULT_COMPACT_AFTER_BYTES,
      ...opts,
      segmentBytes: opts.segmentBytes ?? defaultSegmentBytes(opts.maxBytes),
    };
  }

  /** Opens (or creates) the spool in `opts.dir`, recovering from a crash if there was one. */
  static async open(opts: SpoolOptions): Promise<Spool> {
    const spool = new Spool(opts);
    try {
      await opts.fs.ensureDir(opts.dir);
      spool.#lock = await opts.fs.lockExclusive(`${opts.dir}/LOCK`, spool.#o.lockTimeoutMs);
      if (!spool.#lock) {
        throw new Error("another agent process is using this spool (its LOCK is held)");
      }
      await spool.#recover();
    } catch (e) {
      spool.#log?.close();
      spool.#lock?.release();
      throw new Error(`spool: opening ${opts.dir}: ${errorMessage(e)}`, { cause: e });
    }
    return spool;
  }

  // ---------------------------------------------------------------- recovery

  async #recover(): Promise<void> {
    const { fs, dir, logger, counters, checkpointCompactBytes } = this.#o;
    // A torn end of the log is skipped; damage means the empty checkpoint (resend all).
    const { log, checkpoint: cp } = await CheckpointLog.open({
      fs,
      dir,
      logger,
      counters,
      compactAfterBytes: checkpointCompactBytes,
    });
    this.#log = log;
    const names = (await fs.list(dir)).filter((n) => SEGMENT_RE.test(n)).sort();
    let lastSeq = 0;
    let tornBytes = 0;
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      const path = `${dir}/${name}`;
      const bytes = (await fs.readFile(path)) ?? new Uint8Array();
      const scan = scanFrames(bytes, lastSeq);
      let size = bytes.length;
      if (scan.problem) {
        const skipped = bytes.length - scan.goodBytes;
        if (i === names.length - 1) {
          // The last record of the newest segment was being written when the agent died.
          await fs.truncate(path, scan.goodBytes);
          size = scan.goodBytes;
          tornBytes += skipped;
          counters.inc("spool_torn_records_total");
          logger.warn("spool: torn last record skipped (the agent stopped mid-write)", {
            segment: name,
            skipped_bytes: skipped,
            problem: scan.problem,
          });
        } else {
          counters.inc("spool_damaged_segments_total");
          logger.error("spool: damaged record; the rest of this segment is skipped", {
            segment: name,
            skipped_bytes: skipped,
            problem: scan.problem,
          });
        }
      }
      if (scan.frames.length === 0) {
        await fs.remove(path);
        continue;
      }
      const segment: Segment = {
        name,
        firstSeq: scan.frames[0].record.seq,
        size,
        entries: [],
        cursor: 0,
        pending: 0,
        pendingLogs: 0,
      };
      for (const f of scan.frames) {
        const r = f.record;
        const done = r.seq <= cp.ackedThrough || cp.doneAhead.has(r.seq);
        const entry: Entry = {
          seq: r.seq,
          kind: r.kind,
          host: r.host,
          id: r.id,
          items: r.items,
          appendedAtMs: r.appendedAtMs,
          segment,
          offset: f.offset,
          length: f.length,
          payloadOffset: f.length - r.payload.length,
          done,
          solo: !done && (r.solo === true || cp.solo.has(r.seq)),
          bornSolo: r.solo === true,
        };
        segment.entries.push(entry);
        this.#index.set(r.seq, entry);
        if (!done) this.#countPending(entry, 1);
      }
      // The agent that wrote it may have died (kill -9) before syncing what now waits: these
      // records wait, so they are made durable now (one fdatasync per such segment per open).
      if (segment.pending > 0) await fs.syncFile(path);
      lastSeq = scan.frames.at(-1)!.record.seq;
      this.#segments.push(segment);
      this.#totalBytes += size;
    }
    const claimed = [
      cp.ackedThrough,
      cp.merged?.to ?? 0,
      ...cp.doneAhead.toJSON().map((r) => r[1]),
    ];
    this.#nextSeq = Math.max(lastSeq, ...claimed) + 1;
    this.#merged = cp.merged && this.#pendingIn(cp.merged).length > 0 ? cp.merged : null;
    // The first write after open replaces the log with this one frame (compaction).
    await this.#writeCheckpoint(true);
    await this.#removeFinishedSegments();
    logger.info("spool opened", {
      dir,
      pending_batches: this.#pending,
      pending_bytes: this.#pendingBytes,
      segments: this.#segments.length,
      torn_bytes_skipped: tornBytes,
      in_flight_before_restart: this.#merged ? this.#merged.id : null,
    });
  }

  // ---------------------------------------------------------------- bookkeeping

  #countPending(e: Entry, sign: 1 | -1): void {
    this.#pending += sign;
    this.#pendingItems += sign * e.items;
    this.#pendingBytes += sign * e.length;
    e.segment.pending += sign;
    if (e.kind === "logs") e.segment.pendingLogs += sign;
  }

  #finish(e: Entry): boolean {
    if (e.done) return false;
    e.done = true;
    e.solo = false;
    this.#countPending(e, -1);
    this.#uncache(e.seq);
    return true;
  }

  /** Moves the segment's cursor past finished entries; returns it. */
  #advance(s: Segment): number {
    while (s.cursor < s.entries.length && s.entries[s.cursor].done) s.cursor++;
    return s.cursor;
  }

  /** The oldest pending entry, or undefined. */
  #firstPending(): Entry | undefined {
    for (const s of this.#segments) {
      if (s.pending > 0) return s.entries[this.#advance(s)];
    }
    return undefined;
  }

  *#pendingEntries(): Generator<Entry> {
    for (const s of this.#segments) {
      if (s.pending === 0) continue;
      for (let i = this.#advance(s); i < s.entries.length; i++) {
        if (!s.entries[i].done) yield s.entries[i];
      }
    }
  }

  #pendingIn(m: MergedClaim): Entry[] {
    const out: Entry[] = [];
    for (const e of this.#pendingEntries()) {
      if (e.seq > m.to) break;
      if (e.seq >= m.from) out.push(e);
    }
    return out;
  }

  #newestPending(): Entry | undefined {
    for (let i = this.#segments.length - 1; i >= 0; i--) {
      const s = this.#segments[i];
      if (s.pending === 0) continue;
      for (let j = s.entries.length - 1; j >= 0; j--) if (!s.entries[j].done) return s.entries[j];
    }
    return undefined;
  }

  #inMerged(e: Entry): boolean {
    return this.#merged !== null && e.seq >= this.#merged.from && e.seq <= this.#merged.to;
  }

  #checkpoint(): Checkpoint {
    const first = this.#firstPending();
    const ackedThrough = (first?.seq ?? this.#nextSeq) - 1;
    const done: number[] = [];
    const solo: number[] = [];
    for (const s of this.#segments) {
      if (s.entries.length === 0 || s.entries.at(-1)!.seq <= ackedThrough) continue;
      // Before the first pending entry everything is finished and at or below ackedThrough.
      for (let i = s === first?.segment ? s.cursor : 0; i < s.entries.length; i++) {
        const e = s.entries[i];
        if (e.seq <= ackedThrough) continue;
        if (e.done) done.push(e.seq);
        else if (e.solo && !e.bornSolo) solo.push(e.seq);
      }
    }
    return {
      ackedThrough,
      doneAhead: SeqRanges.ofSorted(done),
      solo: SeqRanges.ofSorted(solo),
      merged: this.#merged,
    };
  }

  /**
   * Appends the checkpoint to the log. `claim`: it records a claim about to be sent, which
   * must survive even a power loss, so it is fdatasync'ed. An acknowledgement need not (it
   * is not synced at all): it survives `kill -9`, and lost to a power loss it only means a
   * resend the server de-duplicates.
   */
  async #writeCheckpoint(claim: boolean): Promise<void> {
    await this.#log!.write(this.#checkpoint(), claim);
  }

  /** fdatasync of every segment holding unsynced frames: the active one, and closed ones. */
  async #syncUnsynced(): Promise<void> {
    const active = this.#active;
    if (active?.unsynced) {
      await active.file.sync();
      active.unsynced = false;
    }
    for (const path of [...this.#unsyncedClosed]) {
      await this.#o.fs.syncFile(path);
      this.#unsyncedClosed.delete(path);
    }
  }

  /**
   * Makes every pending record durable against a machine crash (fdatasync, when any frame is
   * unsynced). The delivery loop calls it when a request fails, so a batch that has to
   * wait for the server never waits unsynced.
   */
  syncPending(): Promise<void> {
    return this.#exclusive(() => this.#pending > 0 ? this.#syncUnsynced() : Promise.resolve());
  }

  async #removeFinishedSegments(): Promise<void> {
    const keep: Segment[] = [];
    let removed = false;
    for (const s of this.#segments) {
      const isActive = this.#active?.segment === s;
      // The active segment keeps taking appends until it is full.
      if (s.pending > 0 || (isActive && s.size < this.#o.segmentBytes)) {
        keep.push(s);
        continue;
      }
      if (isActive) this.#closeActive();
      await this.#o.fs.remove(`${this.#o.dir}/${s.name}`);
      this.#forget(s);
      removed = true;
    }
    this.#segments = keep;
    if (removed) await this.#o.fs.syncDir(this.#o.dir);
  }

  #forget(s: Segment): void {
    for (const e of s.entries) {
      this.#index.delete(e.seq);
      this.#uncache(e.seq);
    }
    this.#totalBytes -= s.size;
  }

  #closeActive(): void {
    this.#active?.file.close();
    this.#active = null;
  }

  #cachePut(seq: number, payload: Uint8Array): void {
    if (payload.length > this.#o.cacheBytes) return;
    this.#cache.set(seq, payload);
    this.#cacheBytes += payload.length;
    for (const [k, v] of this.#cache) {
      if (this.#cacheBytes <= this.#o.cacheBytes) break;
      this.#cache.delete(k);
      this.#cacheBytes -= v.length;
    }
  }

  #uncache(seq: number): void {
    const v = this.#cache.get(seq);
    if (v === undefined) return;
    this.#cache.delete(seq);
    this.#cacheBytes -= v.length;
  }

  /** Runs `fn` after every operation started before it: one mutation at a time. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(() => {
      if (this.#closed) throw new Error("spool: closed");
      return fn();
    });
    this.#chain = run.catch(() => {});
    return run;
  }

  // ---------------------------------------------------------------- append

  /** Appends a record (synced per the fsync policy above); drops the oldest first when full. */
  append(rec: NewRecord): Promise<AppendResult> {
    return this.#exclusive(() => this.#append(rec));
  }

  async #append(rec: NewRecord): Promise<AppendResult> {
    const { fs, dir, now, maxBytes, segmentBytes, counters, logger } = this.#o;
    const seq = this.#nextSeq;
    const appendedAtMs = now();
    // Appended while nothing waits (the steady state): it will go alone, so it is marked
    // solo in its own frame and sending it needs no checkpoint write first.
    const solo = this.#pending === 0;
    const frame = encodeFrame({ ...rec, seq, appendedAtMs, solo });
    if (frame.length > maxBytes) {
      counters.inc("spool_dropped_batches_total", { kind: rec.kind, reason: "too_large" });
      logger.error("spool: batch larger than AGENT_SPOOL_MAX_BYTES; dropped", {
        batch: rec.id,
        bytes: frame.length,
        max_bytes: maxBytes,
      });
      return { dropped: "too_large" };
    }
    await this.#makeRoom(frame.length);
    if (this.#active && this.#active.segment.size + frame.length > segmentBytes) {
      // A full segment is never appended to again: it closes durable, so a machine crash
      // can tear only the newest segment's end.
      await this.#syncUnsynced();
      this.#closeActive();
    }
    if (!this.#active) {
      const name = segmentName(seq);
      const segment: Segment = {
        name,
        firstSeq: seq,
        size: 0,
        entries: [],
        cursor: 0,
        pending: 0,
        pendingLogs: 0,
      };
      const file = await fs.openAppend(`${dir}/${name}`);
      await fs.syncDir(dir);
      this.#segments.push(segment);
      this.#active = { segment, file, unsynced: false };
    }
    const active = this.#active;
    const { segment, file } = active;
    const policy = this.#o.appendSync;
    try {
      await file.write(frame);
      if (policy !== "never") active.unsynced = true;
      // Deferred: a record appended while others wait will wait too, so it is synced now
      // (with every frame before it); one appended alone goes at once and is synced only
      // if its request fails (syncPending).
      if (policy === "always" || (policy === "deferred" && !solo)) await this.#syncUnsynced();
    } catch (e) {
      // Never append after a partial frame: cut it off (truncate syncs, which also makes the
      // frames before it durable), and start a new segment next time. Should the cut fail
      // too, frames of records waiting there may be unsynced: synced when next asked.
      this.#closeActive();
      const path = `${dir}/${segment.name}`;
      await fs.truncate(path, segment.size).catch((cut) => {
        if (policy !== "never") this.#unsyncedClosed.add(path);
        logger.error("spool: could not cut a partial record off a segment", {
          segment: segment.name,
          error: errorMessage(cut),
        });
      });
      throw new Error(`spool: appending batch ${rec.id}: ${errorMessage(e)}`, { cause: e });
    }
    const entry: Entry = {
      seq,
      kind: rec.kind,
      host: rec.host,
      id: rec.id,
      items: rec.items,
      appendedAtMs,
      segment,
      offset: segment.size,
      length: frame.length,
      payloadOffset: frame.length - rec.payload.length,
      done: false,
      solo,
      bornSolo: solo,
    };
    segment.entries.push(entry);
    segment.size += frame.length;
    this.#totalBytes += frame.length;
    this.#index.set(seq, entry);
    this.#countPending(entry, 1);
    this.#nextSeq = seq + 1;
    this.#cachePut(seq, rec.payload);
    for (const wake of [...this.#waiters]) wake();
    return { seq };
  }

  /** Drops whole segments, oldest first (those without log records first), until `needed` fits. */
  async #makeRoom(needed: number): Promise<void> {
    const { maxBytes, fs, dir, counters, logger } = this.#o;
    const tallies = new Map<RecordKind, DropTally>();
    let droppedSegments = 0;
    while (this.#totalBytes + needed > maxBytes && this.#segments.length > 0) {
      const victim = this.#segments.find((s) => s.pendingLogs === 0) ?? this.#segments[0];
      for (const e of victim.entries) {
        if (e.done) continue;
        this.#finish(e);
        const t = tallies.get(e.kind) ??
          { batches: 0, items: 0, bytes: 0, fromMs: e.appendedAtMs, toMs: e.appendedAtMs };
        t.batches++;
        t.items += e.items;
        t.bytes += e.length;
        t.fromMs = Math.min(t.fromMs, e.appendedAtMs);
        t.toMs = Math.max(t.toMs, e.appendedAtMs);
        tallies.set(e.kind, t);
      }
      if (this.#active?.segment === victim) this.#closeActive();
      await fs.remove(`${dir}/${victim.name}`);
      this.#forget(victim);
      this.#segments.splice(this.#segments.indexOf(victim), 1);
      droppedSegments++;
    }
    if (droppedSegments === 0) return;
    if (this.#merged && this.#pendingIn(this.#merged).length === 0) this.#merged = null;
    await this.#writeCheckpoint(false);
    for (const [kind, t] of tallies) {
      const total = counters.inc(
        "spool_dropped_batches_total",
        { kind, reason: "full" },
        t.batches,
      );
      counters.inc("spool_dropped_items_total", { kind, reason: "full" }, t.items);
      counters.inc("spool_dropped_bytes_total", { kind, reason: "full" }, t.bytes);
      logger.warn("spool full (AGENT_SPOOL_MAX_BYTES); oldest batches dropped", {
        kind,
        batches: t.batches,
        [kind === "metrics" ? "metrics" : "items"]: t.items,
        bytes: t.bytes,
        collected_from: iso(t.fromMs),
        collected_to: iso(t.toMs),
        dropped_batches_total: total,
        max_bytes: maxBytes,
      });
    }
  }

  // ---------------------------------------------------------------- claims

  /**
   * Claims the work of one sending round: the oldest pending records (the head: a claim
   * made before and maybe sent, resent as it was, or else a new merge of consecutive
   * records within `limits`), and, when a newer record with a seq above `liveAfterSeq`
   * is not part of the head, that record alone (the live lane). The claims are recorded in
   * the checkpoint before this resolves.
   */
  claimRound(
    limits: ClaimLimits,
    liveAfterSeq: number,
  ): Promise<ClaimedRound> {
    return this.#exclusive(async () => {
      let changed = false;
      const head = this.#claimHead(limits, () => changed = true);
      const live = this.#claimLive(liveAfterSeq, head, () => changed = true);
      if (changed) await this.#writeCheckpoint(true);
      return {
        head: head && await this.#load(head),
        live: live && await this.#load(live),
        newestSeq: this.#nextSeq - 1,
      };
    });
  }

  /** Claims only the newest pending record above `afterSeq`, alone (a probe while backing off). */
  claimLive(afterSeq: number): Promise<ClaimedRound> {
    return this.#exclusive(async () => {
      let changed = false;
      const live = this.#claimLive(afterSeq, null, () => changed = true);
      if (changed) await this.#writeCheckpoint(true);
      return { head: null, live: live && await this.#load(live), newestSeq: this.#nextSeq - 1 };
    });
  }

  #claimHead(limits: ClaimLimits, changed: () => void): DraftClaim | null {
    const it = this.#pendingEntries();
    const first = it.next().value as Entry | undefined;
    if (!first) return null;
    if (this.#inMerged(first)) {
      return {
        entries: this.#pendingIn(this.#merged!),
        id: this.#merged!.id,
        merged: true,
        fresh: false,
      };
    }
    if (first.solo) return { entries: [first], id: first.id, merged: false, fresh: false };
    const entries = [first];
    let items = first.items;
    let bytes = first.length - first.payloadOffset;
    for (const e of it) {
      const size = e.length - e.payloadOffset;
      if (
        e.solo || this.#inMerged(e) || e.kind !== first.kind || e.host !== first.host ||
        items + e.items > limits.maxItems || bytes + size > limits.maxBytes
      ) break;
      entries.push(e);
      items += e.items;
      bytes += size;
    }
    const mergedId = `${first.id}:${entries.length}`;
    if (entries.length === 1 || mergedId.length > LIMITS.batchIdMaxLength) {
      first.solo = true;
      changed();
      return { entries: [first], id: first.id, merged: false, fresh: true };
    }
    this.#merged = { from: first.seq, to: entries.at(-1)!.seq, id: mergedId };
    changed();
    return { entries, id: mergedId, merged: true, fresh: true };
  }

  #claimLive(afterSeq: number, head: DraftClaim | null, changed: () => void): DraftClaim | null {
    const e = this.#newestPending();
    if (!e || e.seq <= afterSeq || this.#inMerged(e) || head?.entries.includes(e)) return null;
    if (e.solo) return { entries: [e], id: e.id, merged: false, fresh: false };
    e.solo = true;
    changed();
    return { entries: [e], id: e.id, merged: false, fresh: true };
  }

  /** Reads the payloads of a draft claim: from the cache, else one read per run of a segment. */
  async #load(d: DraftClaim): Promise<Claim> {
    const records: ClaimedRecord[] = [];
    let i = 0;
    while (i < d.entries.length) {
      const e = d.entries[i];
      const cached = this.#cache.get(e.seq);
      if (cached) {
        records.push({ seq: e.seq, id: e.id, items: e.items, payload: cached });
        i++;
        continue;
      }
      let j = i + 1;
      while (
        j < d.entries.length && d.entries[j].segment === e.segment &&
        !this.#cache.has(d.entries[j].seq)
      ) j++;
      const last = d.entries[j - 1];
      const bytes = await this.#o.fs.readAt(
        `${this.#o.dir}/${e.segment.name}`,
        e.offset,
        last.offset + last.length - e.offset,
      );
      const scan = scanFrames(bytes, e.seq - 1);
      const bySeq = new Map(scan.frames.map((f) => [f.record.seq, f.record]));
      for (const x of d.entries.slice(i, j)) {
        const r = bySeq.get(x.seq);
        if (!r) {
          throw new Error(
            `spool: record ${x.seq} in ${e.segment.name} cannot be read back: ${scan.problem}`,
          );
        }
        records.push({ seq: x.seq, id: x.id, items: x.items, payload: r.payload });
      }
      i = j;
    }
    const first = d.entries[0];
    return {
      kind: first.kind,
      host: first.host,
      id: d.id,
      merged: d.merged,
      fresh: d.fresh,
      records,
      items: records.reduce((n, r) => n + r.items, 0),
    };
  }

  // ---------------------------------------------------------------- answers

  /** The server stored (2xx) or refused for good the claim's records: finish them. */
  complete(claim: Claim): Promise<void> {
    return this.#exclusive(async () => {
      for (const r of claim.records) {
        const e = this.#index.get(r.seq);
        if (e) this.#finish(e);
      }
      if (claim.merged && this.#merged?.id === claim.id) this.#merged = null;
      await this.#writeCheckpoint(false);
      await this.#removeFinishedSegments();
    });
  }

  /**
   * The server provably stored nothing of this request (connection refused, or a 4xx before
   * storage): when the claim was new, forget it so its records may be regrouped. A claim
   * that repeats an earlier attempt keeps its shape: that attempt may have been stored.
   */
  release(claim: Claim): Promise<void> {
    return this.#exclusive(() => {
      if (!claim.fresh) return Promise.resolve();
      if (claim.merged) {
        if (this.#merged?.id === claim.id) this.#merged = null;
      } else {
        const e = this.#index.get(claim.records[0].seq);
        if (e && !e.done) e.solo = false;
      }
      // Not written now: a stale claim after a crash only means less merging.
      return Promise.resolve();
    });
  }

  /**
   * A new merged request was refused (4xx) before storage: its records go one by one from
   * now on, so the bad batch can be told from the good ones.
   */
  split(claim: Claim): Promise<void> {
    return this.#exclusive(async () => {
      if (this.#merged?.id === claim.id) this.#merged = null;
      for (const r of claim.records) {
        const e = this.#index.get(r.seq);
        if (e && !e.done) e.solo = true;
      }
      await this.#writeCheckpoint(true);
    });
  }

  // ---------------------------------------------------------------- state

  /** True when at least one record waits to be delivered. */
  get hasPending(): boolean {
    return this.#pending > 0;
  }

  /** The seq the next append will get. */
  get nextSeq(): number {
    return this.#nextSeq;
  }

  /** Sizes and age of what waits. */
  stats(): SpoolStats {
    const first = this.#firstPending();
    return {
      pendingRecords: this.#pending,
      pendingItems: this.#pendingItems,
      pendingBytes: this.#pendingBytes,
      totalBytes: this.#totalBytes,
      segments: this.#segments.length,
      oldestPendingMs: first?.appendedAtMs ?? null,
    };
  }

  /** Resolves at the next append, or when `signal` aborts. */
  waitForAppend(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.#waiters.delete(done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      this.#waiters.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  /**
   * Waits for operations under way, makes pending records durable (a failure to is logged:
   * they survive all but a machine crash), closes the files and releases the lock.
   */
  close(): Promise<void> {
    return this.#exclusive(async () => {
      if (this.#pending > 0) {
        await this.#syncUnsynced().catch((e) =>
          this.#o.logger.error("spool: could not sync pending batches at close", {
            error: errorMessage(e),
            pending_batches: this.#pending,
          })
        );
      }
      this.#closeActive();
      this.#log?.close();
      this.#log = null;
      this.#lock?.release();
      this.#lock = null;
      this.#closed = true;
      for (const wake of [...this.#waiters]) wake();
    });
  }
}

interface DraftClaim {
  entries: Entry[];
  id: string;
  merged: boolean;
  fresh: boolean;
}

/**
 * Tails the files `LOG_PATHS` names, through every kind of rotation, and keeps their read
 * positions in a checkpoint that advances only when the server has acknowledged the lines.
 *
 * How files are followed:
 *
 * - The directories of the patterns are watched with `Deno.watchFs`, but events are only a hint
 *   to look sooner: Deno keeps 16 events per watcher and drops the rest while the reader is
 *   busy, and a truncation raises no event of its own. Every `poll()` reconciles (list the
 *   directories, `stat` the matching paths, `fstat` the open files), and the caller polls at
 *   least every second.
 * - A file is known by device and inode plus a fingerprint of its first bytes; its handle stays
 *   open, so a file renamed or deleted is read to its end before it is let go (after it has been
 *   idle for `LOG_PARTIAL_FLUSH`), however long that takes. A new file at the path is read from
 *   its first byte.
 * - copytruncate: a file that shrinks below the read offset, or whose first bytes changed, was
 *   truncated. Its copy (a file in the same directory starting with the same bytes) is read from
 *   the old offset to its end, so only bytes written between logrotate's copy and its truncate
 *   can be lost (see below). The file is then read again from its start under a new generation.
 * - At the very first start (no checkpoint) files present are read from their end
 *   (`LOG_START_AT=end`, the default) or start; files appearing later, from their start; after a
 *   restart each file resumes at its acknowledged offset, including a file renamed (or copied by
 *   copytruncate) while the agent was stopped, found again in its directory by inode and
 *   fingerprint.
 * - A run of NUL bytes where a line starts is a hole, not text: skipped, never shipped. A file
 *   that begins with one is fingerprinted after it (`FileTail.fpAt`).
 *
 * What copytruncate loses, and what `log_bytes_lost_total{reason="truncated"}` counts (each count
 * is also logged, with `lost_bytes`). logrotate reads the file to its end into the copy, fsyncs
 * the copy, then truncates the file: bytes written in between are in no file (that window lasted
 * 0.4 to 7 ms, median 0.7 ms, measured with logrotate 3.21 on ext4, 2 CPUs). What the agent can
 * know of them depends on the writer:
 *
 * - A writer that does not append (no O_APPEND) goes on at its own offset after the truncate, so
 *   the file then begins with a hole of NUL bytes exactly as long as the file was just before
 *   the truncate. The hole minus what was read or is in the copy is counted (`#countHole`):
 *   exact, whether the agent was running or stopped (for a file with one writer).
 * - A writer that appends starts the file over at 0: the bytes leave no trace in any file. Only
 *   a size the agent saw before the truncate tells of them, so it looks:
 *   - at every watch event naming a tailed file (`#peek`: an fstat on this thread, the size
 *     seen 0.16 ms after the write at the median, 0.6 ms p90, 5 ms p99);
 *   - once copytruncate is known to be in use (a truncation handled, now or in an earlier run:
 *     a later generation in the checkpoint), from a worker that samples the size every 0.1 ms
 *     from the moment a copy of the file appears until the file shrinks (`SizeSampler`).
 *   A size counts if the fingerprint was still there after it was taken, or else if it is larger
 *   than the file when the truncation is handled (a size of the new file cannot be: it only grew
 *   since). What lies past the copy's end is counted. Measured with logrotate every 5 s and
 *   writes every millisecond (so most windows catch one): 88% of the lost bytes counted with
 *   files of 650 KB, 97% with 3 MB (0% before; 66% with the looks alone). Not counted, because
 *   nothing shows them: bytes written and truncated away between two samples (the last 0.1 ms),
 *   or before the sampling starts (the copy of a small file may be over before a copy is seen:
 *   the create event, the main thread and the worker take 0.3 to 1 ms), or, at the very first
 *   copytruncate an agent sees, before a look; while the agent is stopped or starting; when Deno
 *   drops the event (it holds 16) or the directory cannot be watched; sizes seen by a run killed
 *   before it handled the truncation.
 * - Never counted: a byte that was read, or that is in the copy; so the count never exceeds what
 *   was really lost, with one exception after a restart, when only the acknowledged offset of
 *   the previous run is known: bytes that run read past the copy's end (or, without a copy, past
 *   what was acknowledged) are counted by the hole although they still arrive from the spool.
 *
 * @example
 * ```ts
 * const tailer = await LogTailer.open({ patterns, fs: denoLogFs(), stateDir, startAt: "end", … });
 * const { entries } = await tailer.poll();       // entries safe to hand out (decisions durable)
 * tailer.track(batch.id, entries); tailer.settle();
 * tailer.acknowledge([batch.id]);                 // after the server's 2xx
 * await tailer.saveCheckpoint();
 * ```
 */
import type { Logger } from "../../shared/log.ts";
import type { Counters } from "../counters.ts";
import { errorMessage } from "../errors.ts";
import {
  type FileCheckpoint,
  type LogCheckpoint,
  LogCheckpointStore,
  sha256Hex,
} from "./checkpoint_store.ts";
import type { LogStartAt } from "./config.ts";
import {
  FileTail,
  type FileTailInit,
  type FileTailOptions,
  FINGERPRINT_MAX_BYTES,
  type PolledEntry,
} from "./file_tail.ts";
import { zeroRunEnd } from "./line_splitter.ts";
import type { DirEvent, DirWatch, FileStat, LogFs, OpenLogFile } from "./log_fs.ts";
import type { PathPattern } from "./path_pattern.ts";
import { SizeSampler } from "./size_sampler.ts";

/** Default size of one read. */
export const DEFAULT_READ_CHUNK_BYTES = 1024 * 1024;
/** Default bytes read from one file in one poll before the others get their turn. */
export const DEFAULT_READ_BUDGET_BYTES = 8 * 1024 * 1024;
/** How long a complete entry waits for continuation lines (at most LOG_PARTIAL_FLUSH). */
export const CONTINUATION_WAIT_MS = 1000;
/** A copy is looked for only when the fingerprint is at least this long (shorter ones are ambiguous). */
export const COPY_MIN_FINGERPRINT_BYTES = 32;
/** A file that looks like a copy of a tailed one waits this long for the original's truncation. */
export const COPY_WAIT_MS = 3000;
/** A let-go file is remembered this long, so it continues where it was if it reappears. */
export const RELEASED_KEEP_MS = 3_600_000;
/** How often a missing directory's watch is tried again. */
const WATCH_RETRY_MS = 5000;
/** Most bytes read at once while looking for the end of a hole at the start of a file. */
const HOLE_SCAN_BYTES = 8 * 1024 * 1024;
/** How long a truncation waits for the last size of a sampling in progress (see `SizeSampler`). */
const SAMPLING_SETTLE_MS = 200;
/** A file that appeared is looked at as a possible copy for this long (at its events). */
const COPY_CANDIDATE_MS = 1000;

/** What the tailer needs. */
export interface LogTailerOptions {
  patterns: readonly PathPattern[];
  fs: LogFs;
  /** Directory of the checkpoint (`$AGENT_STATE_DIR/logs`). */
  checkpointDir: string;
  startAt: LogStartAt;
  maxLineBytes: number;
  partialFlushMs: number;
  host: string;
  now: () => number;
  logger: Logger;
  counters: Counters;
  readChunkBytes?: number;
  readBudgetBytes?: number;
  /** Least time between two checkpoint writes that only advance offsets (default 1 s). */
  checkpointEveryMs?: number;
}

/** What one poll produced. */
export interface PollResult {
  /** Entries in file order, safe to hand out: the decisions they depend on are checkpointed. */
  entries: PolledEntry[];
  /** True when a file has more to read right away (its read budget ran out). */
  more: boolean;
}

interface Seen {
  path: string;
  stat: FileStat;
}

interface Candidate {
  path: string;
  stat: FileStat;
  file: OpenLogFile;
}

function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

function equalBytes(a: Uint8Array, b: Uint8Array, n: number): boolean {
  if (a.length < n || b.length < n) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

async function readExactly(file: OpenLogFile, offset: number, n: number): Promise<Uint8Array> {
  const buf = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const r = await file.readAt(buf.subarray(got), offset + got);
    if (r === 0) break;
    got += r;
  }
  return buf.subarray(0, got);
}

/** Tails files; see the module comment. Open with `LogTailer.open`. */
export class LogTailer {
  readonly #o: Required<LogTailerOptions>;
  readonly #tailOpts: FileTailOptions;
  readonly #store: LogCheckpointStore;
  readonly #emptySha: string;
  readonly #tails = new Map<string, FileTail>();
  readonly #released = new Map<string, FileTail>();
  readonly #byBatch = new Map<string, FileTail[]>();
  readonly #watches = new Map<string, DirWatch | null>();
  readonly #watchTried = new Map<string, number>();
  /** Samplings of sizes through a copytruncate, by id (see `#sampleIfCopy`). */
  readonly #samplings = new Map<number, FileTail>();
  #samplingSeq = 0;
  /** Files that appeared lately, by path: when they are seen: maybe a copy being made. */
  readonly #copyCandidates = new Map<string, number>();
  #sampler: SizeSampler | null = null;
  #samplerFailed = false;
  /** A tailed file was truncated (now, or before the restart: a later generation in the checkpoint). */
  #copytruncateSeen = false;
  readonly #deferred = new Map<string, number>();
  /** At start: the largest copy found of each inode's checkpointed bytes (copytruncate while stopped). */
  readonly #copySizes = new Map<string, number>();
  #unclaimed: FileCheckpoint[];
  #firstStart: boolean;
  #initialPass = true;
  #buf: Uint8Array;
  #checkpointDirty = false;
  #structureDirty = false;
  #lastCheckpointAt = 0;
  #hinted = false;
  #wake: (() => void) | null = null;
  #closed = false;
  #watching = false;

  private constructor(
    opts: LogTailerOptions,
    store: LogCheckpointStore,
    checkpoint: LogCheckpoint | null,
    existed: boolean,
    emptySha: string,
  ) {
    this.#o = {
      ...opts,
      readChunkBytes: opts.readChunkBytes ?? DEFAULT_READ_CHUNK_BYTES,
      readBudgetBytes: opts.readBudgetBytes ?? DEFAULT_READ_BUDGET_BYTES,
      checkpointEveryMs: opts.checkpointEveryMs ?? 1000,
    };
    this.#tailOpts = {
      host: opts.host,
      maxLineBytes: opts.maxLineBytes,
      partialFlushMs: opts.partialFlushMs,
      continuationWaitMs: Math.min(CONTINUATION_WAIT_MS, opts.partialFlushMs),
      now: opts.now,
    };
    this.#store = store;
    this.#unclaimed = checkpoint?.files ?? [];
    this.#firstStart = checkpoint === null;
    this.#copytruncateSeen = this.#unclaimed.some((e) => e.gen > 0);
    if (existed && checkpoint === null) {
      opts.counters.inc("log_checkpoint_unusable_total");
    }
    this.#emptySha = emptySha;
    this.#buf = new Uint8Array(this.#o.readChunkBytes);
  }

  /**
   * Reads the checkpoint, finds the files (resuming each where it was acknowledged) and writes
   * the checkpoint back at once, so a crash right after a first start does not apply
   * `LOG_START_AT` a second time.
   */
  static async open(opts: LogTailerOptions): Promise<LogTailer> {
    const { store, checkpoint, existed } = await LogCheckpointStore.open(
      opts.checkpointDir,
      opts.fs,
      opts.logger,
      opts.counters,
    );
    const tailer = new LogTailer(
      opts,
      store,
      checkpoint,
      existed,
      await sha256Hex(new Uint8Array()),
    );
    await tailer.#reconcile();
    await tailer.#resumeUnclaimed();
    tailer.#initialPass = false;
    for (const tail of tailer.#tails.values()) {
      if (tail.lossBase === null) continue;
      tail.lossBase = Math.max(tail.lossBase, tailer.#copySizes.get(tail.key) ?? 0);
      if (tail.fingerprint) tailer.#countHole(tail);
    }
    tailer.#copySizes.clear();
    await tailer.#writeCheckpoint();
    opts.logger.info("logs: tailing", {
      patterns: opts.patterns.map((p) => p.text),
      files: [...tailer.#tails.values()].map((t) => ({
        path: t.path,
        offset: t.readEnd,
        file: t.fileId,
      })),
      first_start: tailer.#firstStart,
    });
    return tailer;
  }

  /** The tails being read (for tests and stats). */
  get files(): {
    path: string;
    source: string;
    fileId: string | null;
    readEnd: number;
    committed: number;
    draining: boolean;
  }[] {
    return [...this.#tails.values(), ...this.#released.values()].map((t) => ({
      path: t.path,
      source: t.source,
      fileId: t.fileId,
      readEnd: t.readEnd,
      committed: t.committed,
      draining: t.draining || t.released,
    }));
  }

  // ------------------------------------------------------------------ watching

  /**
   * Starts watching the patterns' directories; each event makes the next `waitForChange` return.
   * Starts the size sampler too when copytruncate is known to be in use (see `#ensureSampler`).
   */
  startWatching(): void {
    this.#watching = true;
    if (this.#copytruncateSeen) this.#ensureSampler();
    for (const dir of new Set(this.#o.patterns.map((p) => p.dir))) this.#ensureWatch(dir);
  }

  #ensureWatch(dir: string): void {
    if (!this.#watching || this.#closed || this.#watches.get(dir)) return;
    const tried = this.#watchTried.get(dir);
    if (tried !== undefined && this.#o.now() - tried < WATCH_RETRY_MS) return;
    this.#watchTried.set(dir, this.#o.now());
    let w: DirWatch;
    try {
      w = this.#o.fs.watch(dir);
    } catch (e) {
      this.#watches.set(dir, null);
      this.#o.logger.debug("logs: cannot watch directory yet; polling it", {
        dir,
        error: errorMessage(e),
      });
      return;
    }
    this.#watches.set(dir, w);
    (async () => {
      for (let ev = await w.next(); ev !== null; ev = await w.next()) {
        this.#onWatchEvent(dir, ev);
        this.hint();
      }
      if (this.#watches.get(dir) === w) this.#watches.set(dir, null);
    })();
  }

  /**
   * A watch event in `dir`: each tailed file it names looks at its size (`#peek`); a file that
   * appears may be logrotate's copy of one (`#sampleIfCopy`, at its events for a second).
   */
  #onWatchEvent(dir: string, ev: DirEvent): void {
    if (ev.paths.length === 0 || this.#closed) return;
    const now = this.#o.now();
    if (ev.kind === "create") {
      const tailed = new Set<string>();
      for (const t of this.#tails.values()) if (!t.draining) tailed.add(t.path);
      for (const p of ev.paths) {
        if (!tailed.has(p) && dirOf(p) === dir) this.#copyCandidates.set(p, now);
      }
    }
    for (const p of ev.paths) {
      const since = this.#copyCandidates.get(p);
      if (since === undefined) continue;
      if (now - since > COPY_CANDIDATE_MS || this.#sampleIfCopy(dir, p)) {
        this.#copyCandidates.delete(p);
      }
    }
    for (const tail of this.#tails.values()) {
      if (tail.file && ev.paths.includes(tail.path)) void this.#peek(tail);
    }
  }

  /**
   * Looks at the size of the tail's file at once, on this thread (the read the event also asks
   * for comes after a settling pause): a size the file had just before logrotate truncated it is
   * then known, and what lies past the copy's end is counted as lost (see `#truncated`). Measured
   * in a tailer reading 2,000 lines/s: the size is seen 0.16 ms after the write (p90 0.6 ms, p99
   * 5 ms). A synchronous fstat costs no measurable CPU even at 20,000 writes/s (with `--jitless`
   * too); an asynchronous one with a fingerprint check after it cost a third more CPU.
   */
  async #peek(tail: FileTail): Promise<void> {
    const file = tail.file;
    if (!file) return;
    try {
      const st = file.statNow ? file.statNow() : await file.stat();
      if (tail.file === file && st.size > tail.unverifiedSize) tail.unverifiedSize = st.size;
    } catch {
      // The file was closed meanwhile (let go, or the tailer closed): nothing to learn.
    }
  }

  /**
   * A file appeared in `dir`: once it starts with a tailed file's first bytes (logrotate is
   * copying it), that file's size is sampled until it is truncated (`SizeSampler`). Done at once,
   * with a synchronous read (tens of microseconds): the copy may take less than a millisecond.
   * True when the candidate is settled (a sampling started, or it is no copy).
   */
  #sampleIfCopy(dir: string, copyPath: string): boolean {
    const sampler = this.#sampler;
    const peekHead = this.#o.fs.peekHead;
    if (!sampler || !peekHead) return true;
    let written = false;
    for (const t of this.#tails.values()) {
      const fp = t.fingerprint;
      if (!t.file || !fp || fp.length === 0 || t.draining || t.samplingId !== null) continue;
      if (dirOf(t.path) !== dir) continue;
      const head = peekHead(copyPath, t.fpAt, fp.length);
      if (head === null) return true;
      // Not enough written yet to tell: looked at again at its next event.
      if (head.length < Math.min(fp.length, COPY_MIN_FINGERPRINT_BYTES)) continue;
      written = true;
      if (!equalBytes(head, fp, head.length)) continue;
      const id = ++this.#samplingSeq;
      if (!sampler.start(id, t.path, t.ino, copyPath)) return true;
      this.#samplings.set(id, t);
      t.samplingId = id;
      return true;
    }
    return written;
  }

  /**
   * Starts the size sampler (a worker: 4 to 7 MB more memory, so only once copytruncate is known
   * to be in use: a truncation handled, now or before a restart), when watching and when the file
   * system reads synchronously. The first copytruncate an agent ever sees has only the looks.
   */
  #ensureSampler(): void {
    if (this.#sampler || this.#samplerFailed || !this.#watching || this.#closed) return;
    if (!this.#o.fs.peekHead) return;
    try {
      this.#sampler = new SizeSampler(
        (id, size) => {
          const tail = this.#samplings.get(id);
          if (tail && size > tail.unverifiedSize) tail.unverifiedSize = size;
        },
        (id) => {
          const tail = this.#samplings.get(id);
          if (tail?.samplingId === id) tail.samplingId = null;
          this.#samplings.delete(id);
        },
      );
    } catch (e) {
      this.#o.logger.warn("logs: cannot start the size sampler; going on without it", {
        error: errorMessage(e),
      });
      this.#samplerFailed = true;
    }
  }

  /** Something may have changed: the next `waitForChange` returns at once. */
  hint(): void {
    this.#hinted = true;
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /** Waits until a watch event, `ms` or `signal`, whichever is first. */
  waitForChange(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.#hinted || signal?.aborted || ms <= 0) {
      this.#hinted = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        if (this.#wake === done) this.#wake = null;
        this.#hinted = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener("abort", done, { once: true });
      this.#wake = done;
    });
  }

  /** The earliest timer (partial-line flush, continuation wait, let-go) of any file, or null. */
  nextDeadline(): number | null {
    let t: number | null = null;
    for (const tail of this.#tails.values()) {
      let d = tail.nextDeadline();
      if (tail.draining) {
        const letGo = Math.max(tail.lastGrowthAt, tail.drainingSince) + this.#o.partialFlushMs;
        d = d === null ? letGo : Math.min(d, letGo);
      }
      if (d !== null) t = t === null ? d : Math.min(t, d);
    }
    return t;
  }

  // ------------------------------------------------------------------ polling

  /** One pass: reconcile, read what is new, run the timers; see `PollResult`. */
  async poll(): Promise<PollResult> {
    const entries: PolledEntry[] = [];
    await this.#reconcile();
    let more = false;
    for (const tail of [...this.#tails.values()]) {
      try {
        if (await this.#readTail(tail, entries)) more = true;
      } catch (e) {
        this.#o.counters.inc("log_read_errors_total");
        this.#o.logger.error("logs: reading failed; will retry", {
          path: tail.path,
          error: errorMessage(e),
        });
      }
    }
    this.#pruneReleased();
    if (this.#pendingOut.length > 0) entries.push(...this.#pendingOut.splice(0));
    if (this.#structureDirty || this.#decisionsDirty()) await this.#writeCheckpoint();
    return { entries, more };
  }

  /** Records that batch `id` carries `entries` (the part of a poll's entries in that batch). */
  track(id: string, entries: readonly PolledEntry[]): void {
    const ends = new Map<FileTail, number>();
    for (const e of entries) {
      if (e.gen !== e.tail.gen) continue;
      ends.set(e.tail, Math.max(ends.get(e.tail) ?? 0, e.end));
    }
    const tails: FileTail[] = [];
    for (const [tail, end] of ends) {
      tail.track(id, end);
      tails.push(tail);
    }
    if (tails.length > 0) this.#byBatch.set(id, tails);
  }

  /** After a poll's batches are tracked: bytes consumed without an entry need no acknowledgement. */
  settle(): void {
    for (const tail of [...this.#tails.values(), ...this.#released.values()]) {
      if (tail.settle()) this.#checkpointDirty = true;
    }
  }

  /** The server acknowledged (or refused for good) these batches; unknown ids are ignored. */
  acknowledge(ids: readonly string[]): void {
    for (const id of ids) {
      const tails = this.#byBatch.get(id);
      if (!tails) continue;
      this.#byBatch.delete(id);
      for (const t of tails) if (t.ack(id)) this.#checkpointDirty = true;
    }
  }

  /** Writes the checkpoint when offsets advanced, at most every `checkpointEveryMs` unless `force`. */
  async saveCheckpoint(force = false): Promise<void> {
    if (!this.#checkpointDirty && !this.#structureDirty && !this.#decisionsDirty()) return;
    if (!force && this.#o.now() - this.#lastCheckpointAt < this.#o.checkpointEveryMs) return;
    await this.#writeCheckpoint();
  }

  /** Stops watching and closes every file (what is held back is read again at the next start). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#sampler?.close();
    for (const w of this.#watches.values()) w?.close();
    this.#watches.clear();
    try {
      await this.saveCheckpoint(true);
    } finally {
      for (const t of [...this.#tails.values(), ...this.#released.values()]) t.file?.close();
      this.hint();
    }
  }

  #decisionsDirty(): boolean {
    for (const t of this.#tails.values()) if (t.decisionsDirty) return true;
    for (const t of this.#released.values()) if (t.decisionsDirty) return true;
    return false;
  }

  async #writeCheckpoint(): Promise<void> {
    const files: FileCheckpoint[] = [];
    for (const t of [...this.#tails.values(), ...this.#released.values()]) {
      t.decisionsDirty = false;
      if (t.released && (t.settled || t.gone)) continue;
      files.push(t.checkpoint(this.#emptySha));
    }
    // Entries of files not found yet at start stay until the first pass has looked for them.
    if (this.#initialPass) files.push(...this.#unclaimed);
    this.#checkpointDirty = false;
    this.#structureDirty = false;
    this.#lastCheckpointAt = this.#o.now();
    await this.#store.write({ files });
  }

  // ------------------------------------------------------------------ reconciliation

  async #listMatches(): Promise<Map<string, Seen>> {
    const { fs, patterns } = this.#o;
    const seen = new Map<string, Seen>();
    const listings = new Map<string, string[] | null>();
    for (const p of patterns) {
      this.#ensureWatch(p.dir);
      let names: string[];
      if (p.isGlob) {
        if (!listings.has(p.dir)) listings.set(p.dir, await fs.readDir(p.dir));
        names = (listings.get(p.dir) ?? []).filter((n) => p.matches(n)).sort();
      } else names = [p.name];
      for (const name of names) {
        const path = p.dir === "/" ? `/${name}` : `${p.dir}/${name}`;
        let stat: FileStat | null;
        try {
          stat = await fs.stat(path);
        } catch (e) {
          this.#o.logger.debug("logs: stat failed", { path, error: errorMessage(e) });
          continue;
        }
        if (!stat || !stat.isFile) continue;
        const key = `${stat.dev}:${stat.ino}`;
        if (!seen.has(key)) seen.set(key, { path, stat });
      }
    }
    return seen;
  }

  async #reconcile(): Promise<void> {
    const seen = await this.#listMatches();
    for (const tail of this.#tails.values()) tail.matched = false;
    const fresh: Seen[] = [];
    for (const [key, s] of seen) {
      const tail = this.#tails.get(key);
      if (tail) {
        tail.matched = true;
        if (tail.path !== s.path) {
          tail.path = s.path;
          this.#structureDirty = true;
        }
        if (tail.draining) {
          tail.draining = false;
          this.#o.logger.debug("logs: file is back at a configured path", { path: s.path });
        }
      } else fresh.push(s);
    }
    for (const tail of this.#tails.values()) {
      if (!tail.matched && !tail.draining) {
        tail.draining = true;
        tail.drainingSince = this.#o.now();
        this.#o.logger.info("logs: file rotated or removed; reading it to its end", {
          path: tail.path,
          offset: tail.readEnd,
        });
      }
    }
    for (const s of fresh) {
      try {
        await this.#discover(s);
      } catch (e) {
        this.#o.counters.inc("log_read_errors_total");
        this.#o.logger.warn("logs: cannot open file; will retry", {
          path: s.path,
          error: errorMessage(e),
        });
      }
    }
  }

  async #discover(s: Seen): Promise<void> {
    const { fs, logger } = this.#o;
    const key = `${s.stat.dev}:${s.stat.ino}`;
    const file = await fs.open(s.path);
    let keep = false;
    try {
      const st = await file.stat();
      const realKey = `${st.dev}:${st.ino}`;
      if (realKey !== key || this.#tails.has(realKey)) return; // replaced between stat and open
      const data = await this.#dataHead(file, st.size);
      const head = data?.head ?? new Uint8Array();
      const at = data?.at ?? 0;
      const c: Candidate = { path: s.path, stat: st, file };

      // 1. A file let go earlier, back at a configured path: it continues where it was.
      const back = this.#releasedMatching(c, head, at);
      if (back) {
        this.#released.delete(back.releasedKey);
        back.tail.file = file;
        back.tail.path = s.path;
        back.tail.released = false;
        back.tail.draining = false;
        this.#tails.set(key, back.tail);
        this.#structureDirty = true;
        keep = true;
        return;
      }
      // 2. The same file as a checkpoint entry: resume where it was acknowledged.
      const claim = await this.#claimEntry(c, head, at);
      if (claim.entry) {
        this.#startTail(c, head, claim.entry, claim.entry.offset);
        keep = true;
        return;
      }
      // 3. A copy of a tailed file (copytruncate with a glob that matches the copy).
      if (head.length >= COPY_MIN_FINGERPRINT_BYTES) {
        const original = await this.#originalOf(c, head, at);
        if (original === "wait") return;
        if (original) {
          if (original.copyHoldsNew) await this.#truncated(original.tail, c);
          else this.#startCopyAlreadyRead(c, head, original.tail);
          keep = true;
          return;
        }
      }
      this.#deferred.delete(key);
      // 4. A new file: from its end at the very first start (LOG_START_AT=end), else its start.
      let start = 0;
      if (this.#initialPass && this.#firstStart && this.#o.startAt === "end") {
        start = await this.#endOfLastLine(file, st.size);
      }
      const tail = this.#newTail(c, claim.gen, start);
      if (head.length > 0) await tail.setFingerprint(head, at);
      tail.lossBase = claim.lossBase;
      this.#tails.set(key, tail);
      this.#structureDirty = true;
      keep = true;
      logger.info("logs: new file", { path: s.path, from_offset: start, file: tail.fileId });
    } finally {
      if (!keep) file.close();
    }
  }

  /** A let-go tail with this inode and these first bytes (of data, at `at`). */
  #releasedMatching(
    c: Candidate,
    head: Uint8Array,
    at: number,
  ): { tail: FileTail; releasedKey: string } | null {
    for (const [releasedKey, tail] of this.#released) {
      if (tail.dev !== c.stat.dev || tail.ino !== c.stat.ino || !tail.fingerprint) continue;
      if (tail.fpAt !== at) continue;
      if (c.stat.size < tail.readEnd) continue;
      if (!equalBytes(head, tail.fingerprint, tail.fingerprint.length)) continue;
      return { tail, releasedKey };
    }
    return null;
  }

  /** A copy holding only bytes already read: followed from its end under the original's id, never read again. */
  #startCopyAlreadyRead(c: Candidate, head: Uint8Array, original: FileTail): void {
    const tail = new FileTail(this.#tailOpts, {
      file: c.file,
      dev: c.stat.dev,
      ino: c.stat.ino,
      path: c.path,
      source: original.source,
      gen: original.gen,
      fileId: original.fileId,
      fingerprint: null,
      committed: c.stat.size,
    });
    tail.fingerprint = head.slice();
    tail.fingerprintSha256 = original.fingerprintSha256;
    tail.fpAt = original.fpAt;
    this.#tails.set(tail.key, tail);
    this.#structureDirty = true;
  }

  /** The offset after the last newline of the file's last 64 KiB (its size when there is none). */
  async #endOfLastLine(file: OpenLogFile, size: number): Promise<number> {
    if (size === 0) return 0;
    const from = Math.max(0, size - 65536);
    const tail = await readExactly(file, from, size - from);
    const nl = tail.lastIndexOf(10);
    return nl < 0 ? size : from + nl + 1;
  }

  /**
   * Finds (and removes) the checkpoint entry of this file: same inode and first bytes, or (a
   * copy made while stopped) same first bytes. Without one, `gen` is the generation a new tail
   * of this inode gets: past any entry the inode had (a reused inode, or a file truncated or
   * rewritten while the agent was stopped), so its entries never share an id with older ones.
   * Those entries stay until the first pass is over, so that a copy of them (copytruncate while
   * the agent was stopped) is still found and read from the acknowledged offset; `lossBase` is
   * then the largest of their offsets (see `FileTail.lossBase`).
   */
  async #claimEntry(
    c: Candidate,
    head: Uint8Array,
    at: number,
  ): Promise<{ entry: FileCheckpoint | null; gen: number; lossBase: number | null }> {
    const list = this.#unclaimed;
    const matchesFp = async (e: FileCheckpoint) =>
      (e.fpLen === 0 || (e.fpAt ?? 0) === at) &&
      head.length >= e.fpLen && (await sha256Hex(head.subarray(0, e.fpLen))) === e.fpSha256;
    const sameInode = list.filter((e) => e.dev === c.stat.dev && e.ino === c.stat.ino);
    let found: FileCheckpoint | null = null;
    for (const e of sameInode) {
      if (!await matchesFp(e)) continue;
      if (!found || e.gen > found.gen) found = e;
    }
    if (!found && this.#initialPass) {
      // Copied while the agent was stopped (copytruncate): the copy carries the old bytes.
      for (const e of list) {
        if (e.fpLen < COPY_MIN_FINGERPRINT_BYTES || c.stat.size < e.offset) continue;
        if (e.dev !== c.stat.dev || e.ino === c.stat.ino) continue;
        if (await matchesFp(e)) {
          found = e;
          this.#noteCopy(e, c.stat.size);
          break;
        }
      }
    }
    const nextGen = sameInode.reduce((g, e) => Math.max(g, e.gen + 1), 0);
    if (!found) {
      if (sameInode.length > 0) {
        this.#o.logger.info(
          "logs: file replaced or truncated while the agent was stopped; reading it from its start",
          { path: c.path },
        );
      }
      const lossBase = sameInode.length > 0 ? Math.max(...sameInode.map((e) => e.offset)) : null;
      return { entry: null, gen: nextGen, lossBase };
    }
    if (c.stat.size < found.offset) {
      // Same first bytes but shorter than what was acknowledged: truncated while stopped.
      this.#o.logger.warn("logs: file shrank while the agent was stopped; reading it again", {
        path: c.path,
        acknowledged: found.offset,
        size: c.stat.size,
      });
      return { entry: null, gen: Math.max(nextGen, found.gen + 1), lossBase: found.offset };
    }
    list.splice(list.indexOf(found), 1);
    return { entry: found, gen: 0, lossBase: null };
  }

  /** A copy of checkpoint entry `e` (another inode) was found at start, `size` bytes long. */
  #noteCopy(e: FileCheckpoint, size: number): void {
    const key = `${e.dev}:${e.ino}`;
    this.#copySizes.set(key, Math.max(this.#copySizes.get(key) ?? 0, size));
  }

  /**
   * The tailed file `c` is a copy of (same device and first bytes, the original truncated since);
   * "wait" while the original still holds those bytes (logrotate may be about to truncate it).
   * `copyHoldsNew` says whether the copy extends past what was read of the original.
   */
  async #originalOf(
    c: Candidate,
    head: Uint8Array,
    at: number,
  ): Promise<{ tail: FileTail; copyHoldsNew: boolean } | "wait" | null> {
    const key = `${c.stat.dev}:${c.stat.ino}`;
    for (const tail of this.#tails.values()) {
      const fp = tail.fingerprint;
      if (!fp || fp.length < COPY_MIN_FINGERPRINT_BYTES || tail.dev !== c.stat.dev) continue;
      if (tail.fpAt !== at) continue;
      if (!tail.file || !equalBytes(fp, head, Math.min(fp.length, head.length))) continue;
      const st = await tail.file.stat();
      const now = await readExactly(tail.file, tail.fpAt, fp.length);
      if (st.size >= tail.readEnd && equalBytes(now, fp, fp.length)) {
        const since = this.#deferred.get(key) ?? this.#o.now();
        this.#deferred.set(key, since);
        if (this.#o.now() - since < COPY_WAIT_MS) return "wait";
        return null; // a copy of a file that stays as it is: a file of its own
      }
      this.#deferred.delete(key);
      return { tail, copyHoldsNew: c.stat.size > tail.readEnd };
    }
    return null;
  }

  /** Checkpoint entries no configured path matched: the file may have been renamed (or copied) while stopped. */
  async #resumeUnclaimed(): Promise<void> {
    const { fs, logger } = this.#o;
    const listings = new Map<string, string[] | null>();
    for (const entry of [...this.#unclaimed]) {
      if (entry.ino < 0 || entry.fpLen === 0) continue;
      const dir = dirOf(entry.path);
      if (!listings.has(dir)) listings.set(dir, await fs.readDir(dir).catch(() => null));
      const names = listings.get(dir) ?? [];
      let resumed = false;
      for (const byInode of [true, false]) {
        for (const name of names) {
          const path = dir === "/" ? `/${name}` : `${dir}/${name}`;
          const st = await fs.stat(path).catch(() => null);
          if (!st || !st.isFile || st.dev !== entry.dev) continue;
          if (byInode !== (st.ino === entry.ino)) continue;
          if (st.size <= entry.offset || this.#tails.has(`${st.dev}:${st.ino}`)) continue;
          const file = await fs.open(path).catch(() => null);
          if (!file) continue;
          const head = await readExactly(file, entry.fpAt ?? 0, entry.fpLen);
          if ((await sha256Hex(head)) !== entry.fpSha256) {
            file.close();
            continue;
          }
          const fst = await file.stat();
          this.#unclaimed.splice(this.#unclaimed.indexOf(entry), 1);
          if (fst.ino !== entry.ino) this.#noteCopy(entry, fst.size);
          const tail = this.#startTail({ path, stat: fst, file }, head, entry, entry.offset);
          tail.matched = false;
          tail.draining = true;
          tail.drainingSince = this.#o.now();
          logger.info("logs: file moved while the agent was stopped; reading it to its end", {
            path,
            was: entry.path,
            offset: entry.offset,
          });
          resumed = true;
          break;
        }
        if (resumed) break;
      }
    }
    for (const entry of this.#unclaimed) {
      if (entry.ino < 0) continue;
      logger.info("logs: a file of the checkpoint is gone; forgotten", {
        path: entry.path,
        acknowledged: entry.offset,
      });
    }
    this.#unclaimed = [];
    this.#structureDirty = true;
  }

  #newTail(c: Candidate, gen: number, start: number): FileTail {
    const init: FileTailInit = {
      file: c.file,
      dev: c.stat.dev,
      ino: c.stat.ino,
      path: c.path,
      source: c.path,
      gen,
      fileId: null,
      fingerprint: null,
      committed: start,
    };
    return new FileTail(this.#tailOpts, init);
  }

  #startTail(c: Candidate, head: Uint8Array, e: FileCheckpoint, start: number): FileTail {
    const tail = new FileTail(this.#tailOpts, {
      file: c.file,
      dev: c.stat.dev,
      ino: c.stat.ino,
      path: c.path,
      source: e.source,
      gen: e.gen,
      fileId: e.fileId === "-" ? null : e.fileId,
      fingerprint: null,
      committed: start,
      anchors: e.anchors,
      cuts: e.cuts,
    });
    // The fingerprint keeps its checkpointed length; it grows again from there.
    tail.fingerprint = head.subarray(0, e.fpLen).slice();
    tail.fingerprintSha256 = e.fpSha256;
    tail.fpAt = e.fpAt ?? 0;
    this.#tails.set(tail.key, tail);
    this.#structureDirty = true;
    return tail;
  }

  // ------------------------------------------------------------------ reading

  /** Reads one tail; true when its budget ran out with more to read. */
  async #readTail(tail: FileTail, out: PolledEntry[]): Promise<boolean> {
    const file = tail.file;
    if (!file) return false;
    const st = await file.stat();
    if (await this.#wasTruncated(tail, file, st)) {
      tail.unverifiedSize = Math.max(tail.unverifiedSize, st.size);
      await this.#truncated(tail, null);
      return true;
    }
    // Checked after the stat: this size is this generation's.
    if (st.size > tail.maxSeenSize) tail.maxSeenSize = st.size;
    const fp = tail.fingerprint;
    if (!fp || fp.length === 0) {
      const data = await this.#dataHead(file, st.size);
      if (data) {
        const hadId = tail.fileId !== null;
        await tail.setFingerprint(data.head, data.at);
        if (!hadId || data.at > 0) this.#structureDirty = true;
        this.#countHole(tail);
      }
    } else if (fp.length < FINGERPRINT_MAX_BYTES) {
      const want = Math.min(FINGERPRINT_MAX_BYTES, st.size - tail.fpAt);
      if (want > fp.length) {
        const head = await readExactly(file, tail.fpAt, want);
        if (!equalBytes(head, fp, fp.length)) {
          await this.#truncated(tail, null);
          return true;
        }
        await tail.setFingerprint(head);
      }
    }
    // A hole at the start (see `FileTail.fpAt`) is skipped without reading it.
    if (tail.fingerprint && tail.readEnd < tail.fpAt) tail.skipTo(tail.fpAt);
    let budget = this.#o.readBudgetBytes;
    const buf = this.#buf;
    while (tail.readEnd < st.size && budget > 0) {
      const want = Math.min(buf.length, st.size - tail.readEnd, budget);
      const n = await file.readAt(buf.subarray(0, want), tail.readEnd);
      if (n === 0) break;
      const chunk = buf.subarray(0, n);
      // NUL bytes where data was expected: the file may have been truncated since the stat
      // under a writer that does not append (the hole reaches past the read offset).
      if (chunk.indexOf(0) >= 0 && !await this.#intact(tail, file)) {
        await this.#truncated(tail, null);
        return true;
      }
      tail.push(chunk, out);
      budget -= n;
    }
    tail.tick(out);
    const more = tail.readEnd < st.size;
    const idleSince = Math.max(tail.lastGrowthAt, tail.drainingSince);
    if (tail.draining && !more && this.#o.now() - idleSince >= this.#o.partialFlushMs) {
      this.#release(tail, out);
    }
    return more;
  }

  /** True when the open file is shorter than what was read, or its first bytes changed. */
  async #wasTruncated(tail: FileTail, file: OpenLogFile, st: FileStat): Promise<boolean> {
    if (st.size < tail.readEnd) return true;
    const fp = tail.fingerprint;
    if (!fp || fp.length === 0) return false;
    if (st.size < tail.fpAt + fp.length) return true;
    if (st.size === tail.checkedSize && st.mtimeMs === tail.checkedMtime) return false;
    if (!await this.#intact(tail, file)) return true;
    tail.checkedSize = st.size;
    tail.checkedMtime = st.mtimeMs;
    return false;
  }

  /**
   * True when the open file still holds the tail's fingerprint at `fpAt`. After a truncation it
   * does not: a writer that appends starts the file over with other bytes, one that does not
   * leaves zeros up to its offset, which is past `fpAt`.
   */
  async #intact(tail: FileTail, file: OpenLogFile): Promise<boolean> {
    const fp = tail.fingerprint;
    if (!fp || fp.length === 0) return true;
    return equalBytes(await readExactly(file, tail.fpAt, fp.length), fp, fp.length);
  }

  /**
   * The file's first bytes of data: up to `FINGERPRINT_MAX_BYTES` from `at`, the end of the run
   * of NUL bytes it begins with (a hole; usually there is none and `at` is 0). Null while it holds
   * nothing else (empty, or only NULs so far).
   */
  async #dataHead(
    file: OpenLogFile,
    size: number,
  ): Promise<{ at: number; head: Uint8Array } | null> {
    if (size <= 0) return null;
    const first = await readExactly(file, 0, Math.min(FINGERPRINT_MAX_BYTES, size));
    if (first.length === 0) return null;
    if (first[0] !== 0) return { at: 0, head: first };
    let at = zeroRunEnd(first);
    if (at === first.length) {
      // A long hole: found by reading it (zeros cost no disk reads), in large reads.
      const buf = new Uint8Array(Math.min(HOLE_SCAN_BYTES, size - at));
      while (at < size) {
        const n = await file.readAt(buf.subarray(0, Math.min(buf.length, size - at)), at);
        if (n === 0) return null;
        const end = zeroRunEnd(buf.subarray(0, n));
        at += end;
        if (end < n) break;
      }
      if (at >= size) return null;
    }
    const head = await readExactly(file, at, Math.min(FINGERPRINT_MAX_BYTES, size - at));
    return head.length > 0 && head[0] !== 0 ? { at, head } : null;
  }

  /**
   * The generation after a truncation begins with a hole (a writer that does not append wrote at
   * its old offset): the previous generation was at least that long, so what the hole shows past
   * `lossBase` was written after the copy and truncated away. Counted once, when measured.
   */
  #countHole(tail: FileTail): void {
    const base = tail.lossBase;
    if (base === null || this.#initialPass || !tail.fingerprint) return;
    tail.lossBase = null;
    if (tail.fpAt <= base) return;
    const lost = tail.fpAt - base;
    this.#o.counters.inc("log_bytes_lost_total", { reason: "truncated" }, lost);
    this.#o.logger.warn(
      "logs: the truncated file starts with a hole: bytes written between the copy and the " +
        "truncation were lost",
      {
        path: tail.source,
        hole_bytes: tail.fpAt,
        accounted_bytes: base,
        lost_bytes: lost,
      },
    );
  }

  /**
   * `tail`'s file was truncated (or replaced in place). Its bytes continue in `copy` when there
   * is one (given, or found in the directory): read from there to the end, then let go. The
   * original file is read again from its start, as the next generation.
   */
  async #truncated(tail: FileTail, copy: Candidate | null): Promise<void> {
    const { logger, counters } = this.#o;
    const original = tail.file!;
    // A sampling in progress reports the size just before the truncation as soon as it sees it.
    if (tail.samplingId !== null) await this.#sampler?.settle(tail.samplingId, SAMPLING_SETTLE_MS);
    // A size seen before this stat and larger than the file is now was seen before the
    // truncation (the new generation only grew since); not larger, it may be the new one's.
    const unverified = tail.unverifiedSize;
    tail.unverifiedSize = 0;
    const originalStat = await original.stat();
    if (unverified > originalStat.size && unverified > tail.maxSeenSize) {
      tail.maxSeenSize = unverified;
    }
    const originalPath = tail.path;
    copy ??= await this.#findCopy(tail);
    const entries: PolledEntry[] = [];
    const readFrom = tail.readEnd;
    let recovered = 0;
    let lostFrom = readFrom;
    const copySize = copy?.stat.size ?? null;
    this.#tails.delete(tail.key);
    if (copy) {
      tail.file = copy.file;
      tail.dev = copy.stat.dev;
      tail.ino = copy.stat.ino;
      tail.path = copy.path;
      tail.matched = false;
      tail.draining = true;
      tail.drainingSince = this.#o.now();
      recovered = Math.max(0, copy.stat.size - readFrom);
      lostFrom = Math.max(readFrom, copy.stat.size);
      const existing = this.#tails.get(tail.key);
      if (existing) {
        existing.file?.close();
        this.#tails.delete(tail.key);
      }
      this.#tails.set(tail.key, tail);
    }
    const lost = Math.max(0, tail.maxSeenSize - lostFrom);
    if (lost > 0) counters.inc("log_bytes_lost_total", { reason: "truncated" }, lost);
    counters.inc("log_truncations_total");
    this.#copytruncateSeen = true;
    this.#ensureSampler();
    (lost > 0 ? logger.warn : logger.info)(
      "logs: file truncated (copytruncate); reading it again from its start",
      {
        path: tail.source,
        read_offset: readFrom,
        largest_size_seen: tail.maxSeenSize,
        copy: copy?.path ?? null,
        copy_size: copySize,
        recovered_from_copy_bytes: recovered,
        lost_bytes: lost,
      },
    );
    if (!copy) {
      // Nothing more to read of these bytes: hand out what is held, and forget the file.
      tail.finish(entries);
      tail.file = null;
      tail.gone = true;
      tail.released = true;
      tail.releasedAt = this.#o.now();
      this.#released.set(`${tail.key}:${tail.gen}`, tail);
    }
    const next = new FileTail(this.#tailOpts, {
      file: original,
      dev: originalStat.dev,
      ino: originalStat.ino,
      path: originalPath,
      source: tail.source,
      gen: tail.gen + 1,
      fileId: null,
      fingerprint: null,
      committed: 0,
    });
    next.maxSeenSize = originalStat.size;
    next.lossBase = Math.max(lostFrom, tail.maxSeenSize);
    this.#tails.set(next.key, next);
    this.#structureDirty = true;
    this.#pendingOut.push(...entries);
  }

  /** Entries handed out by a truncation outside a read; returned by the next poll. */
  #pendingOut: PolledEntry[] = [];

  /** A file in the tail's directory, another inode, starting with the tail's fingerprint and at least as long as what was read. */
  async #findCopy(tail: FileTail): Promise<Candidate | null> {
    const fp = tail.fingerprint;
    if (!fp || fp.length < COPY_MIN_FINGERPRINT_BYTES) return null;
    const { fs } = this.#o;
    const dir = dirOf(tail.path);
    const names = (await fs.readDir(dir).catch(() => null)) ?? [];
    let best: { path: string; stat: FileStat } | null = null;
    for (const name of names) {
      const path = dir === "/" ? `/${name}` : `${dir}/${name}`;
      const st = await fs.stat(path).catch(() => null);
      if (!st || !st.isFile || st.dev !== tail.dev || st.ino === tail.ino) continue;
      if (st.size < tail.readEnd || this.#tails.has(`${st.dev}:${st.ino}`)) continue;
      if (best && (best.stat.mtimeMs ?? 0) >= (st.mtimeMs ?? 0)) continue;
      const file = await fs.open(path).catch(() => null);
      if (!file) continue;
      try {
        const head = await readExactly(file, tail.fpAt, fp.length);
        if (equalBytes(head, fp, fp.length)) best = { path, stat: st };
      } finally {
        file.close();
      }
    }
    if (!best) return null;
    const file = await fs.open(best.path);
    return { path: best.path, stat: await file.stat(), file };
  }

  #release(tail: FileTail, out: PolledEntry[]): void {
    tail.finish(out);
    tail.file?.close();
    tail.file = null;
    tail.released = true;
    tail.releasedAt = this.#o.now();
    this.#tails.delete(tail.key);
    this.#released.set(`${tail.key}:${tail.gen}`, tail);
    this.#structureDirty = true;
    this.#o.logger.info("logs: rotated file read to its end; let go", {
      path: tail.path,
      source: tail.source,
      offset: tail.readEnd,
    });
  }

  #pruneReleased(): void {
    const now = this.#o.now();
    for (const [key, t] of this.#released) {
      if (t.settled && now - t.releasedAt >= RELEASED_KEEP_MS) this.#released.delete(key);
    }
  }
}

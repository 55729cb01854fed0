/**
 * Turns what the tailer reads into log batches and hands them to the sink (the spool), and
 * moves the checkpoint as the server acknowledges them.
 *
 * A batch holds at most 5,000 entries and `maxBatchBytes` of JSON (so the spool can merge a few
 * into one request well under the server's 5 MiB body limit). Its id is
 * `logs-<host>-<start ms>-<n>`, distinct from metric batch ids. The tailer is told which bytes
 * each batch carries before the batch is handed over, so an acknowledgement can never arrive
 * for bytes it does not know about.
 *
 * The acknowledgement contract: call `acknowledge(ids)` with the ids of the spooled records
 * (`claim.records[i].id`) once the server answered 2xx for them, or refused them for good (they
 * will never be stored; reading them again would not change that). Ids from before a restart
 * are unknown and ignored: those lines are read again from the checkpoint and the server drops
 * the duplicates.
 *
 * @example
 * ```ts
 * const source = new LogSource({ tailer, sink: { push: (b) => spool.append(logRecord(b)).then(() => {}) }, host, startMs: Date.now(), … });
 * await source.run(signal);
 * // in the delivery loop, after spool.complete(claim) of a "logs" claim:
 * source.acknowledge(claim.records.map((r) => r.id));
 * ```
 */
import type { Logger } from "../../shared/log.ts";
import { LOG_LIMITS, utf8ByteLength, validateLogBatch } from "../../shared/log_entry.ts";
import { idSafeHost } from "../batch_builder.ts";
import type { Counters } from "../counters.ts";
import { errorMessage } from "../errors.ts";
import type { Sleep } from "../sleep.ts";
import type { PolledEntry } from "./file_tail.ts";
import type { PollResult } from "./tailer.ts";

/** A batch ready to spool: its id, host, entry count and JSON (a `LogBatch`). */
export interface OutgoingLogBatch {
  id: string;
  host: string;
  entries: number;
  payload: Uint8Array;
}

/**
 * Where batches go; `push` resolves once the batch is written to the spool: it survives a
 * crash of the agent, and is fdatasync'ed once it has to wait (spool.ts).
 */
export interface LogSink {
  push(batch: OutgoingLogBatch): Promise<void>;
}

/** The part of the tailer the source drives (`LogTailer`). */
export interface TailerLike {
  poll(): Promise<PollResult>;
  track(id: string, entries: readonly PolledEntry[]): void;
  settle(): void;
  acknowledge(ids: readonly string[]): void;
  saveCheckpoint(force?: boolean): Promise<void>;
  startWatching(): void;
  waitForChange(ms: number, signal?: AbortSignal): Promise<void>;
  nextDeadline(): number | null;
  close(): Promise<void>;
}

/** Default most bytes of JSON in one batch. */
export const DEFAULT_MAX_BATCH_BYTES = 1024 * 1024;
/** Default longest wait between two polls (the reconciliation interval). */
export const DEFAULT_POLL_INTERVAL_MS = 1000;
/** Batches read but not yet spooled, at most: reading goes on while the spool syncs to disk. */
export const MAX_QUEUED_BATCHES = 8;
/** After a watch event, wait this long for more writes before reading (fewer, larger batches). */
export const DEFAULT_SETTLE_MS = 25;

/** What the source needs. */
export interface LogSourceDeps {
  tailer: TailerLike;
  sink: LogSink;
  host: string;
  /** The process start, part of every batch id. */
  startMs: number;
  now: () => number;
  sleep: Sleep;
  logger: Logger;
  counters: Counters;
  maxBatchBytes?: number;
  pollIntervalMs?: number;
  settleMs?: number;
  /** Validate every batch before it is spooled (default true). */
  validate?: boolean;
}

const encoder = new TextEncoder();

/** Polls the tailer, spools batches, advances the checkpoint on acknowledgements. */
export class LogSource {
  #seq = 0;
  readonly #prefix: string;
  readonly #maxBytes: number;
  /** Batches handed to `#pushAll`, oldest first; spooled one at a time, in order. */
  readonly #queue: OutgoingLogBatch[] = [];
  #pusher: Promise<void> | null = null;
  #space: (() => void) | null = null;

  constructor(private readonly deps: LogSourceDeps) {
    this.#prefix = `logs-${idSafeHost(deps.host)}-${deps.startMs}`;
    this.#maxBytes = deps.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
  }

  /** The server acknowledged (or refused for good) these spooled batches. */
  acknowledge(ids: readonly string[]): void {
    this.deps.tailer.acknowledge(ids);
  }

  /**
   * One poll: reads, queues every batch for the spool (tracked first), settles. The batches
   * are spooled in order in the background, so reading goes on while the spool syncs; the
   * queue is bounded (`MAX_QUEUED_BATCHES`), and a full queue makes this wait. Returns the
   * entries read and whether more is waiting. `flush()` waits until all are spooled.
   */
  async pollOnce(signal?: AbortSignal): Promise<{ entries: number; more: boolean }> {
    const { tailer } = this.deps;
    const { entries, more } = await tailer.poll();
    for (const b of this.#batches(entries)) {
      tailer.track(b.out.id, b.entries);
      await this.#enqueue(b.out, signal);
    }
    tailer.settle();
    return { entries: entries.length, more };
  }

  /** Waits until every queued batch is spooled (or `signal` aborts). */
  async flush(signal?: AbortSignal): Promise<void> {
    while (this.#pusher && !signal?.aborted) await this.#pusher;
  }

  async #enqueue(out: OutgoingLogBatch, signal?: AbortSignal): Promise<void> {
    while (this.#queue.length >= MAX_QUEUED_BATCHES && !signal?.aborted) {
      await new Promise<void>((resolve) => {
        const done = () => {
          signal?.removeEventListener("abort", done);
          if (this.#space === done) this.#space = null;
          resolve();
        };
        this.#space = done;
        signal?.addEventListener("abort", done, { once: true });
      });
    }
    if (signal?.aborted) throw new Error("logs: stopping");
    this.#queue.push(out);
    this.#pusher ??= this.#pushAll(signal).finally(() => this.#pusher = null);
  }

  async #pushAll(signal?: AbortSignal): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        await this.#push(this.#queue[0], signal);
        this.#queue.shift();
        this.#space?.();
      }
    } catch {
      // Only a stop interrupts the retries: what is left was never spooled, and is read
      // again at the next start (it was never acknowledged).
      this.#queue.length = 0;
      this.#space?.();
    }
  }

  /** Runs until `signal` aborts, then saves the checkpoint and closes the tailer. */
  async run(signal: AbortSignal): Promise<void> {
    const { tailer, now, sleep, logger, counters } = this.deps;
    const interval = this.deps.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    const settleMs = this.deps.settleMs ?? DEFAULT_SETTLE_MS;
    tailer.startWatching();
    let failures = 0;
    try {
      while (!signal.aborted) {
        let more = false;
        try {
          more = (await this.pollOnce(signal)).more;
          await tailer.saveCheckpoint();
          failures = 0;
        } catch (e) {
          if (signal.aborted) break;
          failures++;
          counters.inc("log_poll_errors_total");
          logger.error("logs: polling failed; will retry", { error: errorMessage(e) });
          await sleep(Math.min(30_000, 1000 * 2 ** Math.min(failures - 1, 5)), signal);
          continue;
        }
        if (more) {
          await sleep(0, signal);
          continue;
        }
        const deadline = tailer.nextDeadline();
        const wait = deadline === null
          ? interval
          : Math.min(interval, Math.max(0, deadline - now()));
        const started = now();
        await tailer.waitForChange(wait, signal);
        // Woken by an event: let the writer finish its burst, so batches come out larger.
        if (now() - started < wait && settleMs > 0) await sleep(settleMs, signal);
      }
    } finally {
      await this.flush();
      await tailer.close().catch((e) =>
        logger.error("logs: saving the checkpoint at shutdown failed", { error: errorMessage(e) })
      );
    }
  }

  /** Hands a batch to the sink, retrying (it is the disk) until it is taken or `signal` aborts. */
  async #push(out: OutgoingLogBatch, signal?: AbortSignal): Promise<void> {
    const { sink, sleep, logger, counters } = this.deps;
    for (let attempt = 0;; attempt++) {
      try {
        await sink.push(out);
        counters.inc("log_entries_read_total", {}, out.entries);
        counters.inc("log_batches_spooled_total");
        return;
      } catch (e) {
        if (signal?.aborted) throw e;
        counters.inc("log_spool_errors_total");
        logger.error("logs: spooling a batch failed; will retry (reading waits)", {
          batch: out.id,
          error: errorMessage(e),
        });
        await sleep(Math.min(30_000, 500 * 2 ** Math.min(attempt, 6)), signal);
      }
    }
  }

  /** Splits a poll's entries into batches within the entry and byte limits. */
  *#batches(entries: PolledEntry[]): Generator<{ out: OutgoingLogBatch; entries: PolledEntry[] }> {
    let parts: string[] = [];
    let group: PolledEntry[] = [];
    let bytes = 0;
    const flush = () => {
      const id = `${this.#prefix}-${++this.#seq}`;
      const json = `{"id":${JSON.stringify(id)},"host":${
        JSON.stringify(this.deps.host)
      },"entries":[${parts.join(",")}]}`;
      const out = {
        id,
        host: this.deps.host,
        entries: group.length,
        payload: encoder.encode(json),
      };
      const batch = { out, entries: group };
      parts = [];
      group = [];
      bytes = 0;
      return batch;
    };
    for (const e of entries) {
      const json = JSON.stringify(e.entry);
      const size = utf8ByteLength(json) + 1;
      if (
        group.length > 0 &&
        (group.length >= LOG_LIMITS.batchMaxEntries || bytes + size > this.#maxBytes)
      ) {
        yield this.#checked(flush());
      }
      parts.push(json);
      group.push(e);
      bytes += size;
    }
    if (group.length > 0) yield this.#checked(flush());
  }

  #checked<T extends { out: OutgoingLogBatch }>(b: T): T {
    if (this.deps.validate === false) return b;
    const result = validateLogBatch(JSON.parse(new TextDecoder().decode(b.out.payload)));
    if (!result.ok) {
      // A bug, not bad input: the batch is sent anyway and the server's 400 sets it aside.
      this.deps.counters.inc("log_invalid_batches_total");
      this.deps.logger.error("logs: built an invalid batch", {
        batch: b.out.id,
        error: result.error,
      });
    }
    return b;
  }
}

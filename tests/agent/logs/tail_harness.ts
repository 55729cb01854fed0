/**
 * A log tailer on a temporary directory, run by the real `LogSource` loop with the real
 * `Deno.watchFs`, shipping into a sink that records every entry (and can be held busy), with
 * acknowledgements immediate or by hand. Restarting reopens the tailer from its checkpoint.
 */
import { Counters } from "../../../agent/counters.ts";
import { type LogStartAt } from "../../../agent/logs/config.ts";
import { denoLogFs, type LogFs } from "../../../agent/logs/log_fs.ts";
import { LogSource, type OutgoingLogBatch } from "../../../agent/logs/log_source.ts";
import { parsePathPattern } from "../../../agent/logs/path_pattern.ts";
import { LogTailer, type LogTailerOptions } from "../../../agent/logs/tailer.ts";
import { sleep } from "../../../agent/sleep.ts";
import type { LogBatch, LogEntry } from "../../../shared/log_entry.ts";
import { createLogger } from "../../../shared/log.ts";

/** Options of a harness run. */
export interface TailOptions {
  /** Patterns relative to the directory (default `["*.log"]`). */
  patterns?: string[];
  startAt?: LogStartAt;
  partialFlushMs?: number;
  maxLineBytes?: number;
  /** "immediate": every batch is acknowledged once spooled; "manual": by `ackAll()`/`ack()`. */
  acks?: "immediate" | "manual";
  readBudgetBytes?: number;
  fs?: LogFs;
}

const decoder = new TextDecoder();

/** The harness; see the module comment. */
export class TailHarness {
  readonly entries: LogEntry[] = [];
  readonly batches: OutgoingLogBatch[] = [];
  readonly logLines: Record<string, unknown>[] = [];
  counters = new Counters();
  tailer: LogTailer | null = null;
  source: LogSource | null = null;
  #stop: AbortController | null = null;
  #running: Promise<void> | null = null;
  #gate: PromiseWithResolvers<void> | null = null;
  #unacked: string[] = [];

  private constructor(readonly dir: string, readonly stateDir: string) {}

  /** A fresh temporary directory (the watched files live in `dir`, the checkpoint in `stateDir`). */
  static async create(): Promise<TailHarness> {
    const root = await Deno.makeTempDir({ prefix: "logtail-" });
    await Deno.mkdir(`${root}/logs`);
    return new TailHarness(`${root}/logs`, `${root}/state`);
  }

  path(name: string): string {
    return `${this.dir}/${name}`;
  }

  tailerOptions(o: TailOptions = {}): LogTailerOptions {
    return {
      patterns: (o.patterns ?? ["*.log"]).map((p) =>
        parsePathPattern(p.startsWith("/") ? p : this.path(p))
      ),
      fs: this.#gatedWatches(o.fs ?? denoLogFs()),
      checkpointDir: this.stateDir,
      startAt: o.startAt ?? "beginning",
      maxLineBytes: o.maxLineBytes ?? 65536,
      partialFlushMs: o.partialFlushMs ?? 400,
      host: "test-host",
      now: Date.now,
      logger: createLogger("debug", (l) => this.logLines.push(JSON.parse(l))),
      counters: this.counters,
      readBudgetBytes: o.readBudgetBytes,
    };
  }

  /** The fs with watches whose reader waits while the harness is held (Deno then drops events). */
  #gatedWatches(fs: LogFs): LogFs {
    return {
      ...fs,
      watch: (dir) => {
        const w = fs.watch(dir);
        return {
          next: async () => {
            while (this.#gate) await this.#gate.promise;
            return await w.next();
          },
          close: () => w.close(),
        };
      },
    };
  }

  /** Opens the tailer (reading the checkpoint) and runs the source loop in the background. */
  async start(o: TailOptions = {}): Promise<void> {
    this.tailer = await LogTailer.open(this.tailerOptions(o));
    const acks = o.acks ?? "immediate";
    const source: LogSource = new LogSource({
      tailer: this.tailer,
      sink: {
        push: async (b) => {
          while (this.#gate) await this.#gate.promise;
          this.batches.push(b);
          const batch = JSON.parse(decoder.decode(b.payload)) as LogBatch;
          this.entries.push(...batch.entries);
          if (acks === "immediate") queueMicrotask(() => source.acknowledge([b.id]));
          else this.#unacked.push(b.id);
        },
      },
      host: "test-host",
      startMs: Date.now(),
      now: Date.now,
      sleep,
      logger: createLogger("debug", (l) => this.logLines.push(JSON.parse(l))),
      counters: this.counters,
      pollIntervalMs: 250,
    });
    this.source = source;
    this.#stop = new AbortController();
    this.#running = source.run(this.#stop.signal);
  }

  /** Stops the loop cleanly (checkpoint saved, files closed). */
  async stop(): Promise<void> {
    this.release();
    this.#stop?.abort();
    await this.#running;
    this.#running = null;
  }

  /**
   * Stops as a crash would leave things: no final checkpoint write. (The loop is ended and the
   * files closed so the test does not leak them, but the checkpoint on disk is whatever the
   * running agent last wrote.)
   */
  async crash(): Promise<void> {
    const t = this.tailer!;
    (t as unknown as { saveCheckpoint: () => Promise<void> }).saveCheckpoint = () =>
      Promise.resolve();
    await this.stop();
  }

  /** Holds the sink busy: pushes wait until `release()`. */
  hold(): void {
    this.#gate ??= Promise.withResolvers<void>();
  }

  release(): void {
    const g = this.#gate;
    this.#gate = null;
    g?.resolve();
  }

  /** Acknowledges every batch spooled so far (manual mode). */
  ackAll(): void {
    const ids = this.#unacked.splice(0);
    this.source!.acknowledge(ids);
  }

  /** Waits until `pred()` holds, polling every 20 ms; throws with `what` after `timeoutMs`. */
  async until(pred: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > end) {
        throw new Error(
          `timed out waiting for ${what}; got ${this.entries.length} entries: ${
            JSON.stringify(this.entries.slice(-5).map((e) => e.message))
          }`,
        );
      }
      await sleep(20);
    }
  }

  /** Waits until `n` entries have arrived. */
  untilCount(n: number, timeoutMs = 10_000): Promise<void> {
    return this.until(() => this.entries.length >= n, `${n} entries`, timeoutMs);
  }

  messages(): string[] {
    return this.entries.map((e) => e.message);
  }

  async cleanup(): Promise<void> {
    if (this.#running) await this.stop();
    await Deno.remove(this.dir.replace(/\/logs$/, ""), { recursive: true }).catch(() => {});
  }
}

/** Appends text to a file (created when missing), in one write. */
export async function append(path: string, text: string): Promise<void> {
  const f = await Deno.open(path, { append: true, create: true });
  try {
    const data = new TextEncoder().encode(text);
    let done = 0;
    while (done < data.length) done += await f.write(data.subarray(done));
  } finally {
    f.close();
  }
}

/** Lines `prefix-<i>` for i in [from, to), each with a newline. */
export function lines(prefix: string, from: number, to: number): string {
  let s = "";
  for (let i = from; i < to; i++) s += `${prefix}-${i}\n`;
  return s;
}

/** The messages `prefix-<i>` for i in [from, to). */
export function expected(prefix: string, from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, k) => `${prefix}-${from + k}`);
}

/** Keys `file:offset` of entries, to check that nothing repeats. */
export function keys(entries: readonly LogEntry[]): string[] {
  return entries.map((e) => `${e.file}:${e.offset}`);
}

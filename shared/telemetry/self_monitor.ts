/**
 * Takes a memory snapshot every `SELF_SNAPSHOT_INTERVAL` into the 24-hour ring, and
 * harvests GC pauses every few seconds so V8's profiler buffer stays small.
 *
 * Its timers are unref'd: the monitor never keeps a process alive on its own.
 *
 * @example
 * ```ts
 * const monitor = new SelfMonitor({ intervalMs: 30_000, now: Date.now, memoryUsage, gc, lag, signals });
 * monitor.start();
 * monitor.ring.toArray(); // snapshots, oldest first
 * monitor.stop();
 * ```
 */
import type { LagSampler } from "./event_loop.ts";
import type { GcTotals } from "./gc_tracker.ts";
import type { MemoryUsage } from "./process_metrics.ts";
import type { Signals } from "./signals.ts";
import {
  type MemorySnapshot,
  ringCapacity,
  SNAPSHOT_RETENTION_MS,
  SnapshotRing,
} from "./snapshot.ts";

/** Interval timers (the global ones, unref'd, by default). */
export interface IntervalTimers {
  setInterval(fn: () => void, ms: number): number;
  clearInterval(id: number): void;
}

/** Global `setInterval`, unref'd so it never holds the process open. */
export const unrefIntervalTimers: IntervalTimers = {
  setInterval(fn, ms) {
    const id = setInterval(fn, ms) as unknown as number;
    Deno.unrefTimer(id);
    return id;
  },
  clearInterval: (id) => clearInterval(id),
};

/** GC harvests happen at least this often. */
export const GC_HARVEST_MAX_INTERVAL_MS = 10_000;

/** What the monitor reads and how often. */
export interface SelfMonitorOptions {
  intervalMs: number;
  now: () => number;
  memoryUsage: () => MemoryUsage;
  gc: { harvest(): void; totals(): GcTotals };
  /** Null when the runtime cannot measure event-loop delay. */
  lag: LagSampler | null;
  /** Reads the signals the advice rules need. */
  signals: () => Promise<Signals>;
  timers?: IntervalTimers;
  /**
   * GC data is harvested at least this often between snapshots (default
   * `GC_HARVEST_MAX_INTERVAL_MS`); \`Infinity\`: only at snapshots and scrapes, for a program
   * whose every timer wake-up counts (the agent).
   */
  gcHarvestMaxIntervalMs?: number;
  /** How long snapshots are kept (default 24 h). */
  retentionMs?: number;
  /** Told about a failed signal read (the snapshot keeps the previous signals). */
  onError?: (error: unknown) => void;
}

/** Snapshots the process periodically; see the module comment. */
export class SelfMonitor {
  readonly ring: SnapshotRing;
  readonly #o: SelfMonitorOptions;
  #timers: number[] = [];
  #taking: Promise<MemorySnapshot> | null = null;

  constructor(opts: SelfMonitorOptions) {
    if (!(opts.intervalMs > 0)) {
      throw new Error(`self monitor: interval must be positive, got ${opts.intervalMs} ms`);
    }
    this.#o = opts;
    this.ring = new SnapshotRing(
      ringCapacity(opts.intervalMs, opts.retentionMs ?? SNAPSHOT_RETENTION_MS),
    );
  }

  /** The snapshot interval in milliseconds. */
  get intervalMs(): number {
    return this.#o.intervalMs;
  }

  /** Takes a first snapshot now, then one per interval; harvests GC data in between. */
  start(): void {
    if (this.#timers.length > 0) return;
    const timers = this.#o.timers ?? unrefIntervalTimers;
    const fail = (e: unknown) => this.#o.onError?.(e);
    this.snapshot().catch(fail);
    this.#timers.push(timers.setInterval(() => {
      if (!this.#taking) this.snapshot().catch(fail);
    }, this.#o.intervalMs));
    const harvestMs = Math.min(
      this.#o.intervalMs,
      this.#o.gcHarvestMaxIntervalMs ?? GC_HARVEST_MAX_INTERVAL_MS,
    );
    if (harvestMs < this.#o.intervalMs) {
      this.#timers.push(timers.setInterval(() => this.#o.gc.harvest(), harvestMs));
    }
  }

  /** Stops the timers (snapshots already taken stay readable). */
  stop(): void {
    const timers = this.#o.timers ?? unrefIntervalTimers;
    for (const id of this.#timers) timers.clearInterval(id);
    this.#timers = [];
  }

  /** Takes one snapshot now and adds it to the ring. */
  snapshot(): Promise<MemorySnapshot> {
    const taking = this.#read(true).then((s) => {
      this.ring.push(s);
      return s;
    }).finally(() => {
      if (this.#taking === taking) this.#taking = null;
    });
    this.#taking = taking;
    return taking;
  }

  /**
   * A snapshot of this moment, not added to the ring and without event-loop figures (those
   * cover the time between two ring snapshots): what a report shows as "now".
   */
  current(): Promise<MemorySnapshot> {
    return this.#read(false);
  }

  async #read(withLag: boolean): Promise<MemorySnapshot> {
    const o = this.#o;
    let signals: Signals;
    try {
      signals = await o.signals();
    } catch (e) {
      o.onError?.(e);
      signals = this.ring.latest()?.signals ?? {};
    }
    o.gc.harvest();
    const gc = o.gc.totals();
    const mem = o.memoryUsage();
    const lag = withLag ? o.lag?.sample() ?? null : null;
    return {
      at: o.now(),
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      heapTotalBytes: mem.heapTotal,
      externalBytes: mem.external,
      gcCount: gc.count,
      gcPauseSeconds: gc.pauseSeconds,
      eventLoopLagP99Seconds: lag?.p99Seconds ?? null,
      eventLoopLagMaxSeconds: lag?.maxSeconds ?? null,
      signals,
    };
  }
}

/**
 * Collects on a fixed cadence and hands each round as a batch to the sink (the spool). It
 * never waits on the network: sending happens in the DeliveryLoop.
 */
import type { Metric, MetricBatch } from "../shared/metric.ts";
import type { Logger } from "../shared/log.ts";
import type { Counters } from "./counters.ts";
import { errorMessage } from "./errors.ts";
import type { Sleep } from "./sleep.ts";

/**
 * Where collected batches go; `push` resolves once the batch is written to the spool: it
 * survives a crash of the agent, and is fdatasync'ed once it has to wait (spool.ts).
 */
export interface BatchSink {
  push(batch: MetricBatch): Promise<void>;
}

/** What the collect loop needs. */
export interface CollectLoopDeps {
  registry: { collectAll(): Promise<Metric[]> };
  builder: { build(metrics: readonly Metric[]): MetricBatch[] };
  sink: BatchSink;
  intervalMs: number;
  now: () => number;
  sleep: Sleep;
  logger: Logger;
  counters: Counters;
}

/** Runs one tick every `intervalMs`, on a grid; a tick that overruns skips the missed slots. */
export class CollectLoop {
  constructor(private readonly deps: CollectLoopDeps) {}

  /** Collects one round and stores it; returns how many metrics were stored. */
  async tick(): Promise<number> {
    const { registry, builder, sink, logger, counters } = this.deps;
    const metrics = await registry.collectAll();
    if (metrics.length === 0) return 0;
    let batches: MetricBatch[];
    try {
      batches = builder.build(metrics);
    } catch (e) {
      counters.inc("batches_dropped_total", { reason: "invalid" });
      logger.error("collected batch is invalid; dropped", { error: errorMessage(e) });
      return 0;
    }
    for (const b of batches) await sink.push(b);
    // Logged once stored: at debug level, an exact account of what was collected.
    logger.debug("collected", { metrics: metrics.length, batches: batches.map(describeBatch) });
    return metrics.length;
  }

  /** Ticks until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const { intervalMs, now, sleep, logger, counters } = this.deps;
    let next = now();
    while (!signal.aborted) {
      await this.#tickUnlessAborted(signal);
      if (signal.aborted) break;
      next += intervalMs;
      const t = now();
      if (t > next) {
        const missed = Math.ceil((t - next) / intervalMs);
        next += missed * intervalMs;
        counters.inc("collect_ticks_missed_total", {}, missed);
        logger.warn("collection overran its interval; skipped ticks", { missed });
      }
      await sleep(next - t, signal);
    }
  }

  /**
   * Resolves once no tick is under way (at once when none is), so a shutdown can let a
   * tick that already collected finish storing its batch; bound it with a timeout.
   */
  idle(): Promise<void> {
    return this.#ticking;
  }

  #ticking: Promise<void> = Promise.resolve();

  /** One tick, but a shutdown does not wait for it (a statfs may hang for seconds). */
  async #tickUnlessAborted(signal: AbortSignal): Promise<void> {
    const { logger, counters } = this.deps;
    const ticking = this.#ticking = this.tick().then(() => {}, (e) => {
      counters.inc("collect_ticks_failed_total");
      logger.error("collection tick failed", { error: errorMessage(e) });
    });
    let onAbort = () => {};
    const aborted = new Promise<void>((resolve) => onAbort = resolve);
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      await Promise.race([ticking, aborted]);
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }
}

/** A batch in a log line: id, size and the span of its sample times. */
function describeBatch(b: MetricBatch): Record<string, unknown> {
  let first = b.metrics[0]?.time ?? "";
  let last = first;
  for (const m of b.metrics) {
    if (m.time < first) first = m.time;
    if (m.time > last) last = m.time;
  }
  return { id: b.id, metrics: b.metrics.length, first, last };
}

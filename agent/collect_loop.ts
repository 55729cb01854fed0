/**
 * Collects on a fixed cadence and queues each round as a batch. It never waits on the
 * network: sending happens in the SendLoop.
 */
import type { Metric, MetricBatch } from "../shared/metric.ts";
import type { Logger } from "../shared/log.ts";
import type { BatchQueue } from "./batch_queue.ts";
import type { Counters } from "./counters.ts";
import { errorMessage } from "./errors.ts";
import type { Sleep } from "./sleep.ts";

/** What the collect loop needs. */
export interface CollectLoopDeps {
  registry: { collectAll(): Promise<Metric[]> };
  builder: { build(metrics: readonly Metric[]): MetricBatch[] };
  queue: BatchQueue;
  intervalMs: number;
  now: () => number;
  sleep: Sleep;
  logger: Logger;
  counters: Counters;
}

/** Runs one tick every `intervalMs`, on a grid; a tick that overruns skips the missed slots. */
export class CollectLoop {
  constructor(private readonly deps: CollectLoopDeps) {}

  /** Collects one round and queues it; returns how many metrics were queued. */
  async tick(): Promise<number> {
    const { registry, builder, queue, logger, counters } = this.deps;
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
    for (const b of batches) await queue.push(b);
    logger.debug("collected", { metrics: metrics.length, batches: batches.length });
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

  /** One tick, but a shutdown does not wait for it (a statfs may hang for seconds). */
  async #tickUnlessAborted(signal: AbortSignal): Promise<void> {
    const { logger, counters } = this.deps;
    const ticking = this.tick().catch((e) => {
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

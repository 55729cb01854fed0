/**
 * Drains the queue into the sender, apart from collection: the collect loop never waits on
 * the network. Failures back off with jitter; a rejected batch is dropped and counted.
 */
import type { MetricBatch } from "../shared/metric.ts";
import type { Backoff } from "../shared/backoff.ts";
import type { Logger } from "../shared/log.ts";
import type { BatchQueue } from "./batch_queue.ts";
import type { Counters } from "./counters.ts";
import type { SendOutcome } from "./sender.ts";
import type { Sleep } from "./sleep.ts";

/** What the send loop needs. */
export interface SendLoopDeps {
  queue: BatchQueue;
  sender: { send(batch: MetricBatch, signal?: AbortSignal): Promise<SendOutcome> };
  backoff: Backoff;
  sleep: Sleep;
  now: () => number;
  logger: Logger;
  counters: Counters;
}

/** Sends queued batches oldest first until stopped, then drains what it can before a deadline. */
export class SendLoop {
  constructor(private readonly deps: SendLoopDeps) {}

  /** Runs until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const { queue, backoff, sleep } = this.deps;
    while (!signal.aborted) {
      const batch = await queue.peek();
      if (!batch) {
        await queue.waitForBatch(signal);
        continue;
      }
      if (!await this.sendOne(batch, signal) && !signal.aborted) {
        await sleep(backoff.next(), signal);
      }
    }
  }

  /** Sends what is queued until empty or `deadlineMs` (epoch ms) passes; returns how many remain. */
  async drain(deadlineMs: number): Promise<number> {
    const { queue, backoff, sleep, now } = this.deps;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), Math.max(0, deadlineMs - now()));
    try {
      while (!deadline.signal.aborted) {
        const batch = await queue.peek();
        if (!batch) break;
        if (!await this.sendOne(batch, deadline.signal)) {
          await sleep(backoff.next(), deadline.signal);
        }
      }
    } finally {
      clearTimeout(timer);
    }
    return await queue.size();
  }

  /** Sends one batch and acts on the outcome; false means "back off, then retry". */
  async sendOne(batch: MetricBatch, signal?: AbortSignal): Promise<boolean> {
    const { queue, sender, backoff, logger, counters } = this.deps;
    const outcome = await sender.send(batch, signal);
    const fields = { batch: batch.id, metrics: batch.metrics.length };
    switch (outcome.kind) {
      case "sent":
        await queue.ack(batch.id);
        backoff.reset();
        counters.inc("batches_sent_total");
        logger.debug("batch sent", { ...fields, status: outcome.status });
        return true;
      case "rejected":
        await queue.ack(batch.id);
        counters.inc("batches_dropped_total", { reason: "rejected" });
        logger.error("batch rejected by the server; dropped", {
          ...fields,
          status: outcome.status,
          server_message: outcome.message,
          dropped_total: counters.get("batches_dropped_total", { reason: "rejected" }),
        });
        return true;
      case "retry":
        counters.inc("send_failures_total", {
          reason: outcome.unauthorized ? "unauthorized" : "retryable",
        });
        if (signal?.aborted) return false;
        this.#logRetry(outcome, fields);
        return false;
    }
  }

  #logRetry(outcome: SendOutcome & { kind: "retry" }, fields: Record<string, unknown>): void {
    const entry = {
      ...fields,
      status: outcome.status,
      error: outcome.reason,
      attempt: this.deps.backoff.attempts + 1,
    };
    if (outcome.unauthorized) {
      this.deps.logger.error("send refused: unauthorized; will retry", entry);
    } else this.deps.logger.warn("send failed; will retry", entry);
  }
}

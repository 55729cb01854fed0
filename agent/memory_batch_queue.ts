/** A bounded in-memory BatchQueue: when full, the oldest batch is dropped and reported. */
import type { MetricBatch } from "../shared/metric.ts";
import type { BatchQueue } from "./batch_queue.ts";

/** How many batches wait at most by default (at 10 s per batch, almost 3 hours). */
export const DEFAULT_QUEUE_CAPACITY = 1000;

/** In-memory FIFO; `onDrop` is told of every batch pushed out to make room. */
export class MemoryBatchQueue implements BatchQueue {
  #items: MetricBatch[] = [];
  #waiters = new Set<() => void>();

  constructor(
    private readonly capacity: number = DEFAULT_QUEUE_CAPACITY,
    private readonly onDrop: (batch: MetricBatch) => void = () => {},
  ) {
    if (!(capacity >= 1)) throw new Error("queue capacity must be at least 1");
  }

  /** Appends; drops the oldest first when full. */
  push(batch: MetricBatch): Promise<void> {
    while (this.#items.length >= this.capacity) this.onDrop(this.#items.shift()!);
    this.#items.push(batch);
    for (const wake of this.#waiters) wake();
    return Promise.resolve();
  }

  /** The oldest batch. */
  peek(): Promise<MetricBatch | undefined> {
    return Promise.resolve(this.#items[0]);
  }

  /** Removes the batch with this id, wherever it is. */
  ack(id: string): Promise<void> {
    const i = this.#items.findIndex((b) => b.id === id);
    if (i >= 0) this.#items.splice(i, 1);
    return Promise.resolve();
  }

  /** How many batches wait. */
  size(): Promise<number> {
    return Promise.resolve(this.#items.length);
  }

  /** Resolves when a batch is waiting or `signal` aborts. */
  waitForBatch(signal?: AbortSignal): Promise<void> {
    if (this.#items.length > 0 || signal?.aborted) return Promise.resolve();
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
}

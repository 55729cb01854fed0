/**
 * Where collected batches wait for the sender. Behind this interface so the in-memory
 * queue can be replaced by a lossless on-disk spool; every method is async for that reason.
 */
import type { MetricBatch } from "../shared/metric.ts";

/** A FIFO of batches: the sender peeks the oldest and acknowledges it once handled. */
export interface BatchQueue {
  /** Appends a batch (an implementation may drop the oldest to make room). */
  push(batch: MetricBatch): Promise<void>;
  /** The oldest batch, left in place. */
  peek(): Promise<MetricBatch | undefined>;
  /** Removes the batch with this id (sent, or rejected for good); unknown ids are ignored. */
  ack(id: string): Promise<void>;
  /** How many batches wait. */
  size(): Promise<number>;
  /** Resolves once a batch is waiting, or when `signal` aborts. */
  waitForBatch(signal?: AbortSignal): Promise<void>;
}

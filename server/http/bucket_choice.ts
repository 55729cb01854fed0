/**
 * Choosing the bucket width for `bucket=auto`.
 */
import { type Bucket, BUCKET_MS, BUCKETS } from "../storage/metric_store.ts";

/** Most points per series `auto` aims for. */
export const AUTO_TARGET_POINTS = 1000;
/** Most points per series an explicit bucket may produce; a narrower one is a 400. */
export const MAX_POINTS = 10_000;

/** Number of buckets a range of `rangeMs` spans at `bucket` width (at most; alignment aside). */
export function pointsFor(rangeMs: number, bucket: Bucket): number {
  return Math.ceil(rangeMs / BUCKET_MS[bucket]);
}

/**
 * The smallest allowed bucket giving at most `AUTO_TARGET_POINTS` points over `rangeMs`;
 * the widest (`1d`) when none does.
 */
export function chooseBucket(rangeMs: number): Bucket {
  for (const b of BUCKETS) {
    if (pointsFor(rangeMs, b) <= AUTO_TARGET_POINTS) return b;
  }
  return BUCKETS[BUCKETS.length - 1];
}

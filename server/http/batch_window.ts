/**
 * The time window an ingested sample must fall into: not too far in the future (a broken
 * agent clock) and not older than the retention (it would be dropped at once).
 */
import type { MetricBatch } from "../../shared/metric.ts";
import { formatDuration } from "../../shared/duration.ts";

/** How far ahead of the server's clock a sample may be stamped. */
export const MAX_FUTURE_SKEW_MS = 10 * 60 * 1000;

/** Returns an error naming the first metric outside [now − retention, now + 10 min], or null. */
export function checkBatchWindow(
  batch: MetricBatch,
  nowMs: number,
  retentionMs: number,
): string | null {
  const latest = nowMs + MAX_FUTURE_SKEW_MS;
  const earliest = nowMs - retentionMs;
  let lastText = "";
  let t = NaN;
  for (let i = 0; i < batch.metrics.length; i++) {
    // A batch repeats each tick's time string: parse each distinct one once.
    const text = batch.metrics[i].time;
    if (text !== lastText) {
      lastText = text;
      t = Date.parse(text);
    }
    if (t > latest) {
      return `metrics[${i}]: time ${batch.metrics[i].time} is more than ${
        formatDuration(MAX_FUTURE_SKEW_MS)
      } in the future`;
    }
    if (t < earliest) {
      return `metrics[${i}]: time ${batch.metrics[i].time} is older than the retention (${
        formatDuration(retentionMs)
      })`;
    }
  }
  return null;
}

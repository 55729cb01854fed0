/**
 * Event-loop lag for the memory snapshots: how late the loop ran its timers since the
 * previous sample, from `monitorEventLoopDelay` (`node:perf_hooks`, which works under Deno).
 *
 * Separate from the `nodejs_eventloop_lag_*` gauges of `/metrics`, which reset their own
 * histogram at every scrape: a scrape must not erase what the next snapshot reports.
 *
 * @example
 * ```ts
 * const lag = createEventLoopLagSampler();
 * lag.sample(); // { p99Seconds: 0.0011, maxSeconds: 0.012, meanSeconds: 0.0002 } since the last call
 * ```
 */
import { monitorEventLoopDelay } from "node:perf_hooks";

/** Event-loop delay statistics over one sampling period. */
export interface LagSample {
  p99Seconds: number;
  maxSeconds: number;
  meanSeconds: number;
}

/** Something that reports the lag since its previous call. */
export interface LagSampler {
  /** The lag since the previous call, or null when nothing was recorded. */
  sample(): LagSample | null;
  stop(): void;
}

/** A histogram-valued delay in nanoseconds that is not a real measurement (empty histogram). */
function isRecorded(ns: number): boolean {
  return Number.isFinite(ns) && ns >= 0 && ns < 1e15;
}

/** A sampler over `monitorEventLoopDelay` at `resolutionMs`; null when the runtime lacks it. */
export function createEventLoopLagSampler(resolutionMs = 10): LagSampler | null {
  let h: ReturnType<typeof monitorEventLoopDelay>;
  try {
    h = monitorEventLoopDelay({ resolution: resolutionMs });
    h.enable();
  } catch {
    return null;
  }
  return {
    sample() {
      const p99 = h.percentile(99);
      const max = h.max;
      const mean = h.mean;
      h.reset();
      if (!isRecorded(p99) || !isRecorded(max) || !isRecorded(mean)) return null;
      return { p99Seconds: p99 / 1e9, maxSeconds: max / 1e9, meanSeconds: mean / 1e9 };
    },
    stop() {
      h.disable();
    },
  };
}

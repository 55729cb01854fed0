/** Synthetic snapshots for the analysis and advice tests: no real process, no real clock. */
import type { Signals } from "../../../shared/telemetry/signals.ts";
import type { MemorySnapshot } from "../../../shared/telemetry/snapshot.ts";

/** 2025-06-01T12:00:00Z: the injected "now" of these tests. */
export const T0 = Date.parse("2025-06-01T12:00:00.000Z");
/** One MB as the analysis counts it. */
export const MB = 1_000_000;
/** One minute in milliseconds. */
export const MIN = 60_000;

/** A snapshot at `at` with flat 100 MB RSS / 50 MB heap unless overridden. */
export function snap(at: number, over: Partial<MemorySnapshot> = {}): MemorySnapshot {
  return {
    at,
    rssBytes: 100 * MB,
    heapUsedBytes: 50 * MB,
    heapTotalBytes: 80 * MB,
    externalBytes: 2 * MB,
    gcCount: 0,
    gcPauseSeconds: 0,
    eventLoopLagP99Seconds: null,
    eventLoopLagMaxSeconds: null,
    signals: {},
    ...over,
  };
}

/**
 * A series every `stepMs` over `spanMs` ending at `end`, each snapshot shaped by `f`
 * (given its offset from the start in ms).
 */
export function series(
  end: number,
  spanMs: number,
  stepMs: number,
  f: (offsetMs: number) => Partial<MemorySnapshot>,
): MemorySnapshot[] {
  const out: MemorySnapshot[] = [];
  for (let t = end - spanMs; t <= end; t += stepMs) out.push(snap(t, f(t - (end - spanMs))));
  return out;
}

/** One unlabelled series or several labelled ones of a metric, as signals. */
export function sig(metric: string, series: Record<string, number>): Signals {
  return { [metric]: series };
}

/** Merges signals. */
export function sigs(...parts: Signals[]): Signals {
  return Object.assign({}, ...parts);
}

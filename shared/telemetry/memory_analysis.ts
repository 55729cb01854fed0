/**
 * Is memory stable or growing? The least-squares slope of RSS and of heap used over the
 * last hour of snapshots, in MB/h (1 MB = 10^6 bytes), against a threshold.
 *
 * A garbage-collected heap saw-tooths: it climbs between collections and drops at each.
 * Fitted over a window that does not hold a whole number of teeth, the plain slope can be
 * tens of MB/h either way with no leak at all. So a series is called growing only when
 * both of these exceed the threshold:
 *
 * - the slope over every snapshot of the window, and
 * - the slope of its floor: the window cut into `floorBuckets` equal spans, the lowest
 *   value of each (what survives collection), fitted the same way.
 *
 * A leak raises the floor; a saw-tooth does not. Too few snapshots, or too short a span,
 * gives `insufficient_data` rather than a guess.
 *
 * @example
 * ```ts
 * const a = analyzeMemory(ring.toArray(), Date.now());
 * a.verdict;             // "stable" | "growing" | "insufficient_data"
 * a.rss.slopeMBPerHour;  // 1.3
 * ```
 */
import { formatAge } from "./format.ts";
import { leastSquaresSlope, type Point } from "./least_squares.ts";
import type { MemorySnapshot } from "./snapshot.ts";

/** Bytes per MB in every MB/h figure. */
export const BYTES_PER_MB = 1_000_000;
const HOUR_MS = 3_600_000;

/** Thresholds and windows of the analysis. */
export interface MemoryAnalysisOptions {
  /** How far back the fit looks (default 1 h). */
  windowMs: number;
  /** Growth at or above this, in MB/h, is "growing" (default 10). */
  growthThresholdMBPerHour: number;
  /** The snapshots in the window must span at least this long (default 20 min). */
  minSpanMs: number;
  /** And be at least this many (default 10). */
  minPoints: number;
  /** Spans the window is cut into for the floor fit (default 6). */
  floorBuckets: number;
}

/** The defaults of `MemoryAnalysisOptions`. */
export const MEMORY_ANALYSIS_DEFAULTS: MemoryAnalysisOptions = {
  windowMs: HOUR_MS,
  growthThresholdMBPerHour: 10,
  minSpanMs: 20 * 60_000,
  minPoints: 10,
  floorBuckets: 6,
};

/** The trend of one memory series. */
export interface SeriesTrend {
  /** Least-squares slope over every snapshot of the window, MB/h. */
  slopeMBPerHour: number;
  /** Least-squares slope of the per-span minima, MB/h. */
  floorSlopeMBPerHour: number;
  /** Both slopes at or above the threshold. */
  growing: boolean;
  /** The series' first and last value in the window, bytes. */
  firstBytes: number;
  lastBytes: number;
}

/** What the analysis concluded. */
export type MemoryVerdict = "stable" | "growing" | "insufficient_data";

/** The result of `analyzeMemory`. */
export interface MemoryAnalysis {
  verdict: MemoryVerdict;
  /** Why the verdict is what it is, in one sentence. */
  reason: string;
  thresholdMBPerHour: number;
  window: { fromMs: number; toMs: number; points: number; spanMs: number };
  /** Null when there was too little data. */
  rss: SeriesTrend | null;
  heapUsed: SeriesTrend | null;
}

function mbPerHour(bytesPerMs: number): number {
  return bytesPerMs * HOUR_MS / BYTES_PER_MB;
}

function floorPoints(points: Point[], fromMs: number, toMs: number, buckets: number): Point[] {
  const width = (toMs - fromMs) / buckets;
  const mins: (Point | undefined)[] = new Array(buckets);
  for (const p of points) {
    const i = width > 0 ? Math.min(buckets - 1, Math.floor((p.x - fromMs) / width)) : 0;
    const cur = mins[i];
    if (cur === undefined || p.y < cur.y) mins[i] = p;
  }
  return mins.filter((p): p is Point => p !== undefined);
}

function trend(
  points: Point[],
  fromMs: number,
  toMs: number,
  o: MemoryAnalysisOptions,
): SeriesTrend {
  const slope = mbPerHour(leastSquaresSlope(points) ?? 0);
  const floor = floorPoints(points, fromMs, toMs, o.floorBuckets);
  const floorSlope = floor.length >= 3 ? mbPerHour(leastSquaresSlope(floor) ?? 0) : slope;
  return {
    slopeMBPerHour: slope,
    floorSlopeMBPerHour: floorSlope,
    growing: slope >= o.growthThresholdMBPerHour && floorSlope >= o.growthThresholdMBPerHour,
    firstBytes: points[0].y,
    lastBytes: points[points.length - 1].y,
  };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Analyses the snapshots (any order) of the window ending at `nowMs`; see the module comment. */
export function analyzeMemory(
  snapshots: readonly MemorySnapshot[],
  nowMs: number,
  options: Partial<MemoryAnalysisOptions> = {},
): MemoryAnalysis {
  const o = { ...MEMORY_ANALYSIS_DEFAULTS, ...options };
  const fromMs = nowMs - o.windowMs;
  const inWindow = snapshots.filter((s) => s.at >= fromMs && s.at <= nowMs)
    .sort((a, b) => a.at - b.at);
  const spanMs = inWindow.length ? inWindow[inWindow.length - 1].at - inWindow[0].at : 0;
  const window = { fromMs, toMs: nowMs, points: inWindow.length, spanMs };
  const base = { thresholdMBPerHour: o.growthThresholdMBPerHour, window };
  if (inWindow.length < o.minPoints || spanMs < o.minSpanMs) {
    return {
      ...base,
      verdict: "insufficient_data",
      reason: `${inWindow.length} snapshots over ${formatAge(spanMs)} in the last ` +
        `${formatAge(o.windowMs)}; at least ${o.minPoints} over ${formatAge(o.minSpanMs)} ` +
        `are needed`,
      rss: null,
      heapUsed: null,
    };
  }
  const first = inWindow[0].at;
  const last = inWindow[inWindow.length - 1].at;
  const rss = trend(inWindow.map((s) => ({ x: s.at, y: s.rssBytes })), first, last, o);
  const heapUsed = trend(inWindow.map((s) => ({ x: s.at, y: s.heapUsedBytes })), first, last, o);
  const growing = [["RSS", rss], ["heap used", heapUsed]] as const;
  const grew = growing.filter(([, t]) => t.growing);
  const reason = grew.length > 0
    ? grew.map(([n, t]) =>
      `${n} grows ${round(t.slopeMBPerHour)} MB/h (floor ${round(t.floorSlopeMBPerHour)} MB/h)`
    ).join("; ") + ` over the last ${Math.round(o.windowMs / 60_000)} min, at or above ` +
      `${o.growthThresholdMBPerHour} MB/h`
    : `RSS ${round(rss.slopeMBPerHour)} MB/h, heap used ${
      round(heapUsed.slopeMBPerHour)
    } MB/h: below ${o.growthThresholdMBPerHour} MB/h (or not sustained after GC)`;
  return {
    ...base,
    verdict: grew.length > 0 ? "growing" : "stable",
    reason,
    rss,
    heapUsed,
  };
}

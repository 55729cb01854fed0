/**
 * The self-report: everything a program knows about its own health as one JSON document
 * (`GET /api/v1/self` on the server, `--report` and `/self` on the agent): its metrics, its
 * memory snapshots with peaks, the memory analysis and the advice.
 *
 * @example
 * ```ts
 * const report = buildReport({ program: "server", version, startedAtMs, nowMs, intervalMs, current, snapshots, peaks, families, unavailable: [] });
 * report.advice.map((a) => a.message);
 * ```
 */
import { type Advice, type AdviceOptions, adviseAll } from "./advice.ts";
import {
  analyzeMemory,
  type MemoryAnalysis,
  type MemoryAnalysisOptions,
} from "./memory_analysis.ts";
import { type MemorySnapshot, type Peaks, withPeaksOf } from "./snapshot.ts";

/** One series of a metric family; histograms give `count` and `sum` instead of `value`. */
export interface SeriesReport {
  labels: Record<string, string>;
  value?: number;
  count?: number;
  sum?: number;
}

/** One metric family as the report shows it. */
export interface MetricFamilyReport {
  name: string;
  type: string;
  help: string;
  series: SeriesReport[];
}

/** A family as prom-client's `getMetricsAsJSON()` describes it. */
export interface RawMetricFamily {
  name: string;
  type: unknown;
  help: string;
  values: { value: number; labels: Record<string, string | number>; metricName?: string }[];
}

/** The self-report; see the module comment. */
export interface SelfReport {
  program: string;
  version: string;
  generatedAt: string;
  startedAt: string;
  uptimeSeconds: number;
  snapshotIntervalSeconds: number;
  /** Memory, GC totals and signals at the moment of the report. */
  current: MemorySnapshot;
  /** Largest values since start (the current moment included). */
  peaks: Peaks;
  /** Event-loop delay of the newest ring snapshot (null before the first one). */
  eventLoop: { lagP99Seconds: number | null; lagMaxSeconds: number | null };
  analysis: MemoryAnalysis;
  /** Most urgent first; empty when all is well. */
  advice: Advice[];
  /** Every self-metric (counters, gauges, histograms as count and sum). */
  metrics: MetricFamilyReport[];
  /** How many snapshots the ring holds (at most 24 h of them). */
  snapshotsTotal: number;
  /** The newest `snapshots.length` of them, oldest first. */
  snapshots: MemorySnapshot[];
  /** Process metrics this runtime cannot provide, with the reason. */
  unavailable: string[];
}

/** What `buildReport` needs. */
export interface ReportInput {
  program: string;
  version: string;
  startedAtMs: number;
  nowMs: number;
  intervalMs: number;
  current: MemorySnapshot;
  /** The ring, oldest first. */
  snapshots: readonly MemorySnapshot[];
  peaks: Peaks;
  families: readonly RawMetricFamily[];
  unavailable: readonly string[];
  /** Most snapshots to include (newest kept); default all. */
  snapshotLimit?: number;
  analysis?: Partial<MemoryAnalysisOptions>;
  advice?: Partial<AdviceOptions>;
}

function stringLabels(labels: Record<string, string | number>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, String(v)]));
}

/** Compacts prom-client's families: histograms to count and sum per label set. */
export function compactFamilies(families: readonly RawMetricFamily[]): MetricFamilyReport[] {
  return families.map((f) => {
    const type = String(f.type);
    if (type !== "histogram" && type !== "summary") {
      return {
        name: f.name,
        type,
        help: f.help,
        series: f.values.map((v) => ({ labels: stringLabels(v.labels), value: v.value })),
      };
    }
    const byLabels = new Map<string, SeriesReport>();
    for (const v of f.values) {
      const isCount = v.metricName === `${f.name}_count`;
      const isSum = v.metricName === `${f.name}_sum`;
      if (!isCount && !isSum) continue;
      const labels = stringLabels(v.labels);
      delete labels.le;
      delete labels.quantile;
      const key = JSON.stringify(Object.entries(labels).sort());
      const s = byLabels.get(key) ?? { labels, count: 0, sum: 0 };
      if (isCount) s.count = v.value;
      else s.sum = v.value;
      byLabels.set(key, s);
    }
    return { name: f.name, type, help: f.help, series: [...byLabels.values()] };
  });
}

/** Builds the report; the analysis and advice cover the ring plus the current moment. */
export function buildReport(input: ReportInput): SelfReport {
  const all = [...input.snapshots, input.current];
  const analysis = analyzeMemory(all, input.nowMs, input.analysis);
  const advice = adviseAll({ nowMs: input.nowMs, snapshots: all, memory: analysis }, input.advice);
  const latest = input.snapshots[input.snapshots.length - 1];
  const limit = input.snapshotLimit ?? input.snapshots.length;
  return {
    program: input.program,
    version: input.version,
    generatedAt: new Date(input.nowMs).toISOString(),
    startedAt: new Date(input.startedAtMs).toISOString(),
    uptimeSeconds: Math.max(0, Math.round((input.nowMs - input.startedAtMs) / 1000)),
    snapshotIntervalSeconds: input.intervalMs / 1000,
    current: input.current,
    peaks: withPeaksOf(input.peaks, input.current),
    eventLoop: {
      lagP99Seconds: latest?.eventLoopLagP99Seconds ?? null,
      lagMaxSeconds: latest?.eventLoopLagMaxSeconds ?? null,
    },
    analysis,
    advice,
    metrics: compactFamilies(input.families),
    snapshotsTotal: input.snapshots.length,
    snapshots: limit > 0 ? input.snapshots.slice(-limit) : [],
    unavailable: [...input.unavailable],
  };
}

/** The report without metrics and snapshots: one log line's worth (the agent logs it at shutdown). */
export function reportSummary(
  report: SelfReport,
): Omit<SelfReport, "metrics" | "snapshots" | "current"> & {
  current: Omit<MemorySnapshot, "signals">;
} {
  const { metrics: _m, snapshots: _s, current, ...rest } = report;
  const { signals: _g, ...memory } = current;
  return { ...rest, current: memory };
}

/**
 * One program's self-telemetry, assembled: the registry with the process metrics, the
 * snapshot monitor and the report. The server and the agent each add their own metric
 * definitions on `registry` (server/telemetry, agent/telemetry).
 *
 * @example
 * ```ts
 * const self = createSelfTelemetry({ program: "agent", version: VERSION, runtimeVersion: Deno.version.deno,
 *   procFdReadable: canReadProcSelfFd(), intervalMs: 30_000, signalNames: AGENT_SIGNALS, now: Date.now });
 * self.start();
 * const report = await self.report();
 * self.stop();
 * ```
 */
import type { Registry } from "prom-client";
import type { AdviceOptions } from "./advice.ts";
import { createEventLoopLagSampler, type LagSampler } from "./event_loop.ts";
import type { TimerLagRecorder } from "./timer_lag.ts";
import type { GcProfilerLike } from "./gc_tracker.ts";
import type { MemoryAnalysisOptions } from "./memory_analysis.ts";
import {
  type MemoryUsage,
  type ProcessMetrics,
  registerProcessMetrics,
} from "./process_metrics.ts";
import { createRegistry } from "./registry.ts";
import { buildReport, type RawMetricFamily, type SelfReport } from "./report.ts";
import { type IntervalTimers, SelfMonitor } from "./self_monitor.ts";
import { readSignals } from "./signals.ts";

/** What `createSelfTelemetry` needs. */
export interface SelfTelemetryOptions {
  program: string;
  version: string;
  runtimeVersion: string;
  procFdReadable: boolean;
  /** `SELF_SNAPSHOT_INTERVAL` in milliseconds. */
  intervalMs: number;
  /** Metrics copied into every snapshot for the advice rules. */
  signalNames: readonly string[];
  now: () => number;
  /** When the process started (default: `now()` at creation). */
  startedAtMs?: number;
  timers?: IntervalTimers;
  /** Default `process.memoryUsage()`. */
  memoryUsage?: () => MemoryUsage;
  /** Default V8's GC profiler; null disables GC measurement. */
  gcProfiler?: GcProfilerLike | null;
  /** Default `monitorEventLoopDelay`; null disables the snapshots' lag figures. */
  lag?: LagSampler | null;
  /**
   * Event-loop lag from the program's own timers instead of sampling timers: feeds both the
   * snapshots and the `nodejs_eventloop_lag_*` gauges (see timer_lag.ts). Overrides `lag`.
   */
  timerLag?: TimerLagRecorder;
  /** See `SelfMonitorOptions.gcHarvestMaxIntervalMs`. */
  gcHarvestMaxIntervalMs?: number;
  /** Told about failures of the periodic snapshot. */
  onError?: (error: unknown) => void;
  analysis?: Partial<MemoryAnalysisOptions>;
  advice?: Partial<AdviceOptions>;
}

/** A program's self-telemetry; see the module comment. */
export interface SelfTelemetry {
  registry: Registry;
  process: ProcessMetrics;
  monitor: SelfMonitor;
  /** Starts snapshotting (a first snapshot at once). */
  start(): void;
  /** Stops snapshotting and GC measurement. */
  stop(): void;
  /** The report of this moment; `snapshotLimit` keeps only the newest snapshots. */
  report(opts?: { snapshotLimit?: number }): Promise<SelfReport>;
}

/** Assembles the registry, process metrics, monitor and report of one program. */
export function createSelfTelemetry(o: SelfTelemetryOptions): SelfTelemetry {
  const registry = createRegistry();
  const startedAtMs = o.startedAtMs ?? o.now();
  const proc = registerProcessMetrics(registry, {
    program: o.program,
    version: o.version,
    runtimeVersion: o.runtimeVersion,
    procFdReadable: o.procFdReadable,
    memoryUsage: o.memoryUsage,
    gcProfiler: o.gcProfiler,
    eventLoopLag: o.timerLag,
  });
  // The lag sampler starts with `start()` (it runs a timer of its own), so the monitor
  // reads it through a getter: null before start, or when disabled.
  let lag: LagSampler | null | undefined = o.timerLag ?? o.lag;
  const monitor = new SelfMonitor({
    intervalMs: o.intervalMs,
    now: o.now,
    memoryUsage: proc.memoryUsage,
    gc: proc.gc,
    get lag() {
      return lag ?? null;
    },
    signals: () => readSignals(registry, o.signalNames),
    timers: o.timers,
    gcHarvestMaxIntervalMs: o.gcHarvestMaxIntervalMs,
    onError: o.onError,
  });
  return {
    registry,
    process: proc,
    monitor,
    start() {
      if (lag === undefined) lag = createEventLoopLagSampler();
      monitor.start();
    },
    stop() {
      monitor.stop();
      lag?.stop();
      proc.gc.stop();
    },
    async report(opts = {}) {
      const current = await monitor.current();
      const families = await registry.getMetricsAsJSON() as unknown as RawMetricFamily[];
      return buildReport({
        program: o.program,
        version: o.version,
        startedAtMs,
        nowMs: current.at,
        intervalMs: o.intervalMs,
        current,
        snapshots: monitor.ring.toArray(),
        peaks: monitor.ring.peaks(),
        families,
        unavailable: proc.unavailable,
        snapshotLimit: opts.snapshotLimit,
        analysis: o.analysis,
        advice: o.advice,
      });
    },
  };
}

/**
 * The agent's self-telemetry in one call: the registry with the process metrics and the
 * agent metrics, the `Counters` bridge, the snapshot monitor, and the report that
 * `--report` prints and `/self` serves.
 *
 * @example
 * ```ts
 * const telemetry = createAgentTelemetry({ version: VERSION, runtimeVersion: Deno.version.deno,
 *   procFdReadable: canReadProcSelfFd(), snapshotIntervalMs: 30_000, now: Date.now, counters,
 *   spoolMaxBytes: config.spoolMaxBytes, logger });
 * telemetry.start();
 * // … at shutdown:
 * const { summary, json } = await shutdownReport(telemetry);
 * ```
 */
import type { Logger } from "../../shared/log.ts";
import type { LagSampler } from "../../shared/telemetry/event_loop.ts";
import type { TimerLagRecorder } from "../../shared/telemetry/timer_lag.ts";
import type { GcProfilerLike } from "../../shared/telemetry/gc_tracker.ts";
import type { MemoryUsage } from "../../shared/telemetry/process_metrics.ts";
import { reportSummary } from "../../shared/telemetry/report.ts";
import type { IntervalTimers } from "../../shared/telemetry/self_monitor.ts";
import { createSelfTelemetry, type SelfTelemetry } from "../../shared/telemetry/self_telemetry.ts";
import { AGENT_SIGNALS } from "../../shared/telemetry/signal_names.ts";
import { type AgentMetrics, createAgentMetrics } from "./agent_metrics.ts";
import { CountersBridge, type CounterSnapshotSource } from "./counters_bridge.ts";

/** What `createAgentTelemetry` needs. */
export interface AgentTelemetryOptions {
  version: string;
  runtimeVersion: string;
  procFdReadable: boolean;
  snapshotIntervalMs: number;
  now: () => number;
  /** The agent's `Counters`, mirrored into the metrics. */
  counters: CounterSnapshotSource;
  /** `AGENT_SPOOL_MAX_BYTES`, shown as a gauge (and used by the spool advice). */
  spoolMaxBytes?: number;
  /** Failures of the periodic snapshot are logged here at warn. */
  logger?: Logger;
  timers?: IntervalTimers;
  memoryUsage?: () => MemoryUsage;
  gcProfiler?: GcProfilerLike | null;
  lag?: LagSampler | null;
  /** Lag from the agent's own timers (its sleeps), so nothing samples the loop; see timer_lag.ts. */
  timerLag?: TimerLagRecorder;
}

/** The agent's self-telemetry: the shared parts plus the agent's metric facade and bridge. */
export interface AgentTelemetry extends SelfTelemetry {
  metrics: AgentMetrics;
  bridge: CountersBridge;
}

/** Assembles the agent's self-telemetry (nothing runs until `start()`). */
export function createAgentTelemetry(o: AgentTelemetryOptions): AgentTelemetry {
  const self = createSelfTelemetry({
    program: "agent",
    version: o.version,
    runtimeVersion: o.runtimeVersion,
    procFdReadable: o.procFdReadable,
    intervalMs: o.snapshotIntervalMs,
    signalNames: AGENT_SIGNALS,
    now: o.now,
    timers: o.timers,
    memoryUsage: o.memoryUsage,
    gcProfiler: o.gcProfiler,
    lag: o.lag,
    timerLag: o.timerLag,
    // The agent idles between ticks: no GC-harvest timer of its own (snapshots and scrapes
    // harvest), since every wake-up costs CPU (deno task bench:agent).
    gcHarvestMaxIntervalMs: Infinity,
    onError: (e) =>
      o.logger?.warn("self snapshot: reading metrics failed", {
        error: e instanceof Error ? e.message : String(e),
      }),
  });
  const metrics = createAgentMetrics(self.registry, o.now);
  if (o.spoolMaxBytes !== undefined) metrics.spoolMaxBytes.set(o.spoolMaxBytes);
  const bridge = new CountersBridge(o.counters, metrics);
  bridge.attach();
  return { ...self, metrics, bridge };
}

/**
 * What the agent gives at shutdown: the full report as one JSON line (printed on stdout
 * with `--report`) and its summary without metrics and snapshots (logged always).
 */
export async function shutdownReport(
  telemetry: Pick<SelfTelemetry, "report">,
): Promise<{ json: string; summary: ReturnType<typeof reportSummary> }> {
  const report = await telemetry.report();
  return { json: JSON.stringify(report), summary: reportSummary(report) };
}

/**
 * The server's self-telemetry in one call: the registry with the process metrics and the
 * server metrics, the snapshot monitor, and the report behind `GET /api/v1/self`.
 * Plus the scrape-time sources of the database-backed gauges.
 *
 * @example
 * ```ts
 * const telemetry = createServerTelemetry({ version: VERSION, runtimeVersion: Deno.version.deno,
 *   procFdReadable: canReadProcSelfFd(), fdReader: createFdReader({ pid: Deno.pid }),
 *   snapshotIntervalMs: 30_000, now: Date.now, log });
 * telemetry.metrics.setHostStatusSource(hostStatusCounts(store, thresholds, Date.now));
 * telemetry.start();
 * ```
 */
import type { Logger } from "../../shared/log.ts";
import type { LagSampler } from "../../shared/telemetry/event_loop.ts";
import type { GcProfilerLike } from "../../shared/telemetry/gc_tracker.ts";
import { type FdReader, registerFdFallback } from "../../shared/telemetry/open_fds.ts";
import type { MemoryUsage } from "../../shared/telemetry/process_metrics.ts";
import type { IntervalTimers } from "../../shared/telemetry/self_monitor.ts";
import { createSelfTelemetry, type SelfTelemetry } from "../../shared/telemetry/self_telemetry.ts";
import { SERVER_SIGNALS } from "../../shared/telemetry/signal_names.ts";
import { hostStatus, type StatusThresholds } from "../http/host_status.ts";
import type { HostRecord } from "../storage/metric_store.ts";
import { createServerMetrics, type ServerMetrics } from "./server_metrics.ts";

/** What `createServerTelemetry` needs. */
export interface ServerTelemetryOptions {
  version: string;
  runtimeVersion: string;
  procFdReadable: boolean;
  /**
   * When `/proc/self/fd` cannot be read: counts the descriptors another way (`ls`, see
   * shared/telemetry/open_fds.ts); null or absent: the fd metrics stay unavailable.
   */
  fdReader?: FdReader | null;
  snapshotIntervalMs: number;
  now: () => number;
  /** Failures of the periodic snapshot are logged here at warn. */
  log?: Logger;
  timers?: IntervalTimers;
  memoryUsage?: () => MemoryUsage;
  gcProfiler?: GcProfilerLike | null;
  lag?: LagSampler | null;
}

/** The server's self-telemetry: the shared parts plus the server's metric facade. */
export interface ServerTelemetry extends SelfTelemetry {
  metrics: ServerMetrics;
}

/** Assembles the server's self-telemetry (nothing runs until `start()`). */
export function createServerTelemetry(o: ServerTelemetryOptions): ServerTelemetry {
  const self = createSelfTelemetry({
    program: "server",
    version: o.version,
    runtimeVersion: o.runtimeVersion,
    procFdReadable: o.procFdReadable,
    intervalMs: o.snapshotIntervalMs,
    signalNames: SERVER_SIGNALS,
    now: o.now,
    timers: o.timers,
    memoryUsage: o.memoryUsage,
    gcProfiler: o.gcProfiler,
    lag: o.lag,
    onError: (e) =>
      o.log?.warn("self snapshot: reading metrics failed", {
        error: e instanceof Error ? e.message : String(e),
      }),
  });
  if (!o.procFdReadable && o.fdReader) registerFdFallback(self.registry, self.process, o.fdReader);
  return { ...self, metrics: createServerMetrics(self.registry) };
}

/** A source for `miniobserv_hosts`: the hosts the store knows, counted by status now. */
export function hostStatusCounts(
  store: { hosts(): Promise<HostRecord[]> },
  thresholds: StatusThresholds,
  now: () => number,
): () => Promise<Record<string, number>> {
  return async () => {
    const t = now();
    const counts: Record<string, number> = { up: 0, stale: 0, down: 0 };
    for (const h of await store.hosts()) counts[hostStatus(h.lastSeen.getTime(), t, thresholds)]++;
    return counts;
  };
}

/** A source for `miniobserv_alert_instances`: per-rule state counts summed over the rules. */
export function alertInstanceCounts(
  queries: { counts(): Promise<Map<string, Record<string, number>>> },
): () => Promise<Record<string, number>> {
  return async () => {
    const out: Record<string, number> = {};
    for (const byState of (await queries.counts()).values()) {
      for (const [state, n] of Object.entries(byState)) out[state] = (out[state] ?? 0) + n;
    }
    return out;
  };
}

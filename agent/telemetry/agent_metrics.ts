/**
 * The agent's own metrics, defined once, behind a typed facade.
 *
 * Most of them are fed by the agent's existing `Counters` through the bridge
 * (counters_bridge.ts), so the collect, spool, delivery and log code keeps counting the
 * way it does; the rest by decorators (collector timing, request bytes) and by sources
 * read at scrape time (spool size, files tailed), set once the agent is wired.
 *
 * @example
 * ```ts
 * const m = createAgentMetrics(registry);
 * m.setSpoolSource(() => spool.stats());
 * m.tokenRenewals.inc();
 * ```
 */
import { Counter, Gauge, Histogram, type Registry } from "../../shared/telemetry/prom.ts";
import { SIGNAL } from "../../shared/telemetry/signal_names.ts";

/** Collector durations are short: buckets in seconds from 0.5 ms to 10 s. */
export const COLLECTOR_BUCKETS_SECONDS = [
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  10,
];

/** The part of the spool's statistics the spool gauges read (agent/spool/spool.ts `SpoolStats`). */
export interface SpoolFigures {
  pendingRecords: number;
  pendingBytes: number;
  totalBytes: number;
  oldestPendingMs: number | null;
}

/** The agent's metrics; see the module comment. */
export interface AgentMetrics {
  collectorDuration: Histogram<"collector">;
  collectorErrors: Counter<"collector">;
  requests: Counter<"kind" | "outcome">;
  requestBytes: Counter<"kind" | "outcome">;
  batchesSent: Counter;
  batchesRetried: Counter;
  batchesRejected: Counter;
  sendFailures: Counter<"reason">;
  spoolBytes: Gauge;
  spoolPendingBytes: Gauge;
  spoolPendingBatches: Gauge;
  spoolOldestPendingAge: Gauge;
  spoolMaxBytes: Gauge;
  spoolDroppedBatches: Counter<"kind" | "reason">;
  spoolDroppedBytes: Counter<"kind" | "reason">;
  logFilesTailed: Gauge;
  logLinesRead: Counter;
  logRotations: Counter;
  logTruncations: Counter;
  logBytesLost: Counter<"reason">;
  tokenRenewals: Counter;
  events: Counter<"event">;
  /** Where the spool gauges read from at scrape time. */
  setSpoolSource(source: () => SpoolFigures): void;
  /** Where `log_files_tailed` reads the number of files followed. */
  setLogFilesSource(source: () => number): void;
  /** Runs `hook` before any counter is read (the `Counters` bridge syncs there). */
  beforeCounterRead(hook: () => void): void;
}

/** Defines every agent metric on `registry`; `now` (epoch ms) ages the oldest spooled batch. */
export function createAgentMetrics(
  registry: Registry,
  now: () => number = Date.now,
): AgentMetrics {
  const registers = [registry];
  let spool: (() => SpoolFigures) | null = null;
  let logFiles: (() => number) | null = null;
  let beforeRead: () => void = () => {};
  // Every counter reads through this, so a bridge sync precedes scrapes, snapshots, reports.
  const collect = () => beforeRead();
  const fromSpool = (pick: (s: SpoolFigures) => number) =>
    function (this: Gauge) {
      if (spool) this.set(pick(spool()));
    };

  const m: Omit<AgentMetrics, "setSpoolSource" | "setLogFilesSource" | "beforeCounterRead"> = {
    collectorDuration: new Histogram({
      name: "miniobserv_agent_collector_duration_seconds",
      help: "Time one collector took to read its source, by collector.",
      labelNames: ["collector"] as const,
      buckets: COLLECTOR_BUCKETS_SECONDS,
      registers,
    }),
    collectorErrors: new Counter({
      name: "miniobserv_agent_collector_errors_total",
      help: "Collector runs that failed (the tick went on without them), by collector.",
      labelNames: ["collector"] as const,
      registers,
      collect,
    }),
    requests: new Counter({
      name: "miniobserv_agent_requests_total",
      help: "Requests to the server by kind (metrics, logs) and outcome (sent, retried, rejected).",
      labelNames: ["kind", "outcome"] as const,
      registers,
      collect,
    }),
    requestBytes: new Counter({
      name: "miniobserv_agent_request_bytes_total",
      help:
        "Bytes of request bodies as sent (gzip'd), by kind and outcome (sent, retried, rejected).",
      labelNames: ["kind", "outcome"] as const,
      registers,
      collect,
    }),
    batchesSent: new Counter({
      name: SIGNAL.batchesSent,
      help: "Batches the server accepted (stored, or already stored).",
      registers,
      collect,
    }),
    batchesRetried: new Counter({
      name: "miniobserv_agent_batches_retried_total",
      help: "Batches in requests that failed and stay spooled for another try.",
      registers,
      collect,
    }),
    batchesRejected: new Counter({
      name: SIGNAL.agentBatchesRejected,
      help: "Batches the server refused (4xx); moved to rejected/ in the state directory.",
      registers,
      collect,
    }),
    sendFailures: new Counter({
      name: SIGNAL.sendFailures,
      help:
        "Send attempts that failed and will be retried, by reason (network, status, unauthorized).",
      labelNames: ["reason"] as const,
      registers,
      collect,
    }),
    spoolBytes: new Gauge({
      name: "miniobserv_agent_spool_bytes",
      help:
        "Bytes of the spool's segment files on disk (delivered records not yet compacted included).",
      registers,
      collect: fromSpool((s) => s.totalBytes),
    }),
    spoolPendingBytes: new Gauge({
      name: SIGNAL.spoolPendingBytes,
      help: "Bytes of spooled batches not yet delivered.",
      registers,
      collect: fromSpool((s) => s.pendingBytes),
    }),
    spoolPendingBatches: new Gauge({
      name: "miniobserv_agent_spool_pending_batches",
      help: "Spooled batches not yet delivered.",
      registers,
      collect: fromSpool((s) => s.pendingRecords),
    }),
    spoolOldestPendingAge: new Gauge({
      name: "miniobserv_agent_spool_oldest_pending_age_seconds",
      help: "Age of the oldest undelivered batch (0 when none).",
      registers,
      collect: fromSpool((s) =>
        s.oldestPendingMs === null ? 0 : Math.max(0, (now() - s.oldestPendingMs) / 1000)
      ),
    }),
    spoolMaxBytes: new Gauge({
      name: SIGNAL.spoolMaxBytes,
      help:
        "The spool's size limit (AGENT_SPOOL_MAX_BYTES); past it the oldest batches are dropped.",
      registers,
    }),
    spoolDroppedBatches: new Counter({
      name: SIGNAL.spoolDroppedBatches,
      help:
        "Batches dropped from the spool, by kind and reason (full: over AGENT_SPOOL_MAX_BYTES).",
      labelNames: ["kind", "reason"] as const,
      registers,
      collect,
    }),
    spoolDroppedBytes: new Counter({
      name: "miniobserv_agent_spool_dropped_bytes_total",
      help: "Bytes of batches dropped from the spool, by kind and reason.",
      labelNames: ["kind", "reason"] as const,
      registers,
      collect,
    }),
    logFilesTailed: new Gauge({
      name: "miniobserv_agent_log_files_tailed",
      help: "Log files being followed.",
      registers,
      collect() {
        if (logFiles) this.set(logFiles());
      },
    }),
    logLinesRead: new Counter({
      name: "miniobserv_agent_log_lines_read_total",
      help: "Log lines read from tailed files (a multi-line entry counts once).",
      registers,
      collect,
    }),
    logRotations: new Counter({
      name: "miniobserv_agent_log_rotations_total",
      help: "Rotations (renamed or removed files) seen in tailed files.",
      registers,
      collect,
    }),
    logTruncations: new Counter({
      name: "miniobserv_agent_log_truncations_total",
      help: "Truncations (copytruncate) seen in tailed files.",
      registers,
      collect,
    }),
    logBytesLost: new Counter({
      name: "miniobserv_agent_log_bytes_lost_total",
      help: "Log bytes never read, by reason (truncated: written between copy and truncate).",
      labelNames: ["reason"] as const,
      registers,
      collect,
    }),
    tokenRenewals: new Counter({
      name: "miniobserv_agent_token_renewals_total",
      help: "Ingest tokens minted (the first per host, then before each expiry or after a 401).",
      registers,
      collect,
    }),
    events: new Counter({
      name: "miniobserv_agent_events_total",
      help:
        "Every other counted event of the agent (skipped mounts, damaged spool records, …), by name.",
      labelNames: ["event"] as const,
      registers,
      collect,
    }),
  };
  return {
    ...m,
    setSpoolSource(source) {
      spool = source;
    },
    setLogFilesSource(source) {
      logFiles = source;
    },
    beforeCounterRead(hook) {
      beforeRead = hook;
    },
  };
}

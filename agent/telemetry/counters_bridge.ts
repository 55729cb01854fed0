/**
 * Mirrors the agent's `Counters` (agent/counters.ts) into its Prometheus metrics at every
 * read: the code that counts keeps calling `counters.inc("batches_delivered_total")`, and
 * `/metrics` shows `miniobserv_agent_batches_sent_total`.
 *
 * Each known counter maps to one metric and keeps the labels that metric declares; every
 * other counter is shown as `miniobserv_agent_events_total{event="<name>"}`, so nothing
 * counted is hidden. Only increases are applied (a counter never goes down).
 *
 * @example
 * ```ts
 * const bridge = new CountersBridge(counters, agentMetrics);
 * bridge.sync(); // also runs by itself before every scrape, snapshot and report
 * ```
 */
import type { Counter } from "prom-client";
import { parseLabelKey } from "../../shared/telemetry/signals.ts";
import type { AgentMetrics } from "./agent_metrics.ts";

/** What the bridge reads: `Counters.snapshot()` keys are `name{label="value",…}`. */
export interface CounterSnapshotSource {
  snapshot(): Record<string, number>;
}

/** Counter names of agent/counters.ts and the metric each one feeds. */
export const COUNTER_MAP = {
  collector_errors_total: "collectorErrors",
  batches_delivered_total: "batchesSent",
  batches_retried_total: "batchesRetried",
  batches_rejected_total: "batchesRejected",
  send_failures_total: "sendFailures",
  spool_dropped_batches_total: "spoolDroppedBatches",
  spool_dropped_bytes_total: "spoolDroppedBytes",
  log_entries_read_total: "logLinesRead",
  log_rotations_total: "logRotations",
  log_truncations_total: "logTruncations",
  log_bytes_lost_total: "logBytesLost",
  token_renewals_total: "tokenRenewals",
} as const satisfies Record<string, keyof AgentMetrics>;

/** Splits a `Counters` key into its name and labels. */
export function parseCounterKey(key: string): { name: string; labels: Record<string, string> } {
  const brace = key.indexOf("{");
  if (brace < 0) return { name: key, labels: {} };
  return { name: key.slice(0, brace), labels: parseLabelKey(key.slice(brace + 1, -1)) };
}

/** Mirrors `Counters` into the metrics; see the module comment. */
export class CountersBridge {
  readonly #seen = new Map<string, number>();

  constructor(
    private readonly counters: CounterSnapshotSource,
    private readonly metrics: AgentMetrics,
  ) {}

  /** Applies every increase since the last sync. */
  sync(): void {
    for (const [key, value] of Object.entries(this.counters.snapshot())) {
      const rise = value - (this.#seen.get(key) ?? 0);
      if (rise <= 0) continue;
      this.#seen.set(key, value);
      const { name, labels } = parseCounterKey(key);
      const target = COUNTER_MAP[name as keyof typeof COUNTER_MAP];
      if (target === undefined) {
        this.metrics.events.inc({ event: name.replace(/_total$/, "") }, rise);
        continue;
      }
      const metric = this.metrics[target] as Counter<string>;
      const declared = (metric as unknown as { labelNames: readonly string[] }).labelNames;
      const kept: Record<string, string> = {};
      for (const l of declared) kept[l] = labels[l] ?? "unknown";
      metric.inc(kept, rise);
    }
  }

  /** Syncs before every read of a counter (scrapes, snapshots and reports). */
  attach(): void {
    this.metrics.beforeCounterRead(() => this.sync());
  }
}

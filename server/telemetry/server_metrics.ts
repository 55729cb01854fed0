/**
 * The server's own metrics, defined once, behind a typed facade the rest of the server
 * calls (`serverMetrics.batchesRejected.inc({ kind: "metrics", reason: "too_old" })`).
 *
 * Names follow the conventions of shared/telemetry/names.ts; the ones the advice rules
 * read come from shared/telemetry/signal_names.ts. Gauges whose truth lives in the
 * database (hosts by status, alert instances by state) are read at scrape time from a
 * source set once the server is wired (`setHostStatusSource`, `setAlertInstanceSource`).
 *
 * @example
 * ```ts
 * const m = createServerMetrics(registry);
 * m.samplesIngested.inc(batch.metrics.length);
 * m.recordMaintenance(report);
 * ```
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { SIGNAL } from "../../shared/telemetry/signal_names.ts";
import { ALERT_STATES } from "../alerts/state_machine.ts";

/** What is ingested: metric batches or log batches. */
export const INGEST_KINDS = ["metrics", "logs"] as const;
/** One ingest kind. */
export type IngestKind = typeof INGEST_KINDS[number];

/** Why a batch was refused at ingest (the `reason` label). */
export const REJECT_REASONS = [
  "unauthorized",
  "forbidden_host",
  "invalid",
  "too_old",
  "future",
  "bad_header",
  "too_large",
  "unsupported_media_type",
  "other",
] as const;
/** One rejection reason. */
export type RejectReason = typeof REJECT_REASONS[number];

/** Database operations (the `operation` label): the statement's verb, bounded. */
export const DB_OPERATIONS = [
  "select",
  "insert",
  "update",
  "delete",
  "copy",
  "ddl",
  "transaction",
  "other",
] as const;
/** One database operation. */
export type DbOperation = typeof DB_OPERATIONS[number];

/** How a notification attempt ended (the `outcome` label). */
export const NOTIFICATION_OUTCOMES = ["sent", "retried", "failed"] as const;
/** One notification outcome. */
export type NotificationOutcome = typeof NOTIFICATION_OUTCOMES[number];

/** Host liveness values (the `status` label). */
export const HOST_STATUSES = ["up", "stale", "down"] as const;

/** Buckets of request and query durations, in seconds. */
export const DURATION_BUCKETS_SECONDS = [
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
  5,
  10,
  30,
];

/** What one partition-maintenance run reports (server/storage/partitions.ts `MaintenanceReport`). */
export interface MaintenanceFigures {
  created: readonly string[];
  dropped: readonly string[];
  defaultRows: number;
}

/** What one alert evaluation cycle reports (server/alerts/evaluator.ts `CycleReport`). */
export interface CycleFigures {
  totalMs: number;
  failed: readonly unknown[];
  skipped: number;
}

/** The server's metrics; see the module comment. */
export interface ServerMetrics {
  httpRequests: Counter<"method" | "route" | "status">;
  httpRequestDuration: Histogram<"method" | "route">;
  samplesIngested: Counter;
  logLinesIngested: Counter;
  batchesIngested: Counter<"kind">;
  batchesRejected: Counter<"kind" | "reason">;
  duplicateBatches: Counter<"kind">;
  dbQueryDuration: Histogram<"operation">;
  dbQueryErrors: Counter<"operation">;
  partitionsCreated: Counter<"table">;
  partitionsDropped: Counter<"table">;
  defaultPartitionRows: Gauge<"table">;
  partitionMaintenanceFailures: Counter;
  alertEvaluationDuration: Histogram;
  alertEvaluationFailures: Counter;
  alertRuleErrors: Counter;
  alertRulesSkipped: Counter;
  alertInstances: Gauge<"state">;
  notifications: Counter<"receiver" | "outcome">;
  hosts: Gauge<"status">;
  sourceErrors: Counter<"source">;
  /** Records one partition-maintenance run (`table` default `metric_samples`). */
  recordMaintenance(report: MaintenanceFigures, table?: string): void;
  /** Records one alert evaluation cycle. */
  recordAlertCycle(report: CycleFigures): void;
  /**
   * Records one notification attempt as the delivery worker ended it: `delivered` is sent,
   * `retry` (or `pending`) retried, `failed` failed for good.
   */
  recordNotification(
    receiver: string,
    outcome: "delivered" | "retry" | "pending" | "failed",
  ): void;
  /** Where `miniobserv_hosts` reads host counts by status at scrape time. */
  setHostStatusSource(source: () => Promise<Record<string, number>>): void;
  /** Where `miniobserv_alert_instances` reads instance counts by state at scrape time. */
  setAlertInstanceSource(source: () => Promise<Record<string, number>>): void;
}

/** Defines every server metric on `registry` and returns the facade. */
export function createServerMetrics(registry: Registry): ServerMetrics {
  const registers = [registry];
  let hostSource: (() => Promise<Record<string, number>>) | null = null;
  let alertSource: (() => Promise<Record<string, number>>) | null = null;

  const sourceErrors = new Counter({
    name: "miniobserv_telemetry_source_errors_total",
    help:
      "Scrape-time reads of a gauge's source (the database) that failed; the gauge kept its last value.",
    labelNames: ["source"] as const,
    registers,
  });

  const fillFrom = async <L extends string>(
    gauge: Gauge<L>,
    label: L,
    values: readonly string[],
    source: (() => Promise<Record<string, number>>) | null,
    name: string,
  ) => {
    if (!source) return;
    try {
      const counts = await source();
      for (const v of values) gauge.set({ [label]: v } as Record<L, string>, counts[v] ?? 0);
    } catch {
      sourceErrors.inc({ source: name });
    }
  };

  const m: Omit<
    ServerMetrics,
    | "recordMaintenance"
    | "recordAlertCycle"
    | "recordNotification"
    | "setHostStatusSource"
    | "setAlertInstanceSource"
  > = {
    httpRequests: new Counter({
      name: "miniobserv_http_requests_total",
      help: "HTTP requests answered, by method, route pattern and status code.",
      labelNames: ["method", "route", "status"] as const,
      registers,
    }),
    httpRequestDuration: new Histogram({
      name: "miniobserv_http_request_duration_seconds",
      help: "Time from a request's arrival to its answer, by method and route pattern.",
      labelNames: ["method", "route"] as const,
      buckets: DURATION_BUCKETS_SECONDS,
      registers,
    }),
    samplesIngested: new Counter({
      name: "miniobserv_ingest_samples_total",
      help: "Metric samples stored by ingest (duplicates of a stored batch not counted).",
      registers,
    }),
    logLinesIngested: new Counter({
      name: "miniobserv_ingest_log_lines_total",
      help: "Log lines stored by ingest (entries already stored not counted).",
      registers,
    }),
    batchesIngested: new Counter({
      name: "miniobserv_ingest_batches_total",
      help: "Batches accepted and stored, by kind (metrics, logs).",
      labelNames: ["kind"] as const,
      registers,
    }),
    batchesRejected: new Counter({
      name: SIGNAL.ingestBatchesRejected,
      help: "Batches refused at ingest (4xx), by kind and reason.",
      labelNames: ["kind", "reason"] as const,
      registers,
    }),
    duplicateBatches: new Counter({
      name: "miniobserv_ingest_duplicate_batches_total",
      help: "Batches whose id was already stored (a retry): answered 202, nothing stored again.",
      labelNames: ["kind"] as const,
      registers,
    }),
    dbQueryDuration: new Histogram({
      name: "miniobserv_db_query_duration_seconds",
      help:
        "Database statement durations by operation (statement verb; transaction: a whole transaction).",
      labelNames: ["operation"] as const,
      buckets: DURATION_BUCKETS_SECONDS,
      registers,
    }),
    dbQueryErrors: new Counter({
      name: "miniobserv_db_query_errors_total",
      help: "Database statements that failed, by operation.",
      labelNames: ["operation"] as const,
      registers,
    }),
    partitionsCreated: new Counter({
      name: "miniobserv_partitions_created_total",
      help: "Time partitions made by maintenance, by table.",
      labelNames: ["table"] as const,
      registers,
    }),
    partitionsDropped: new Counter({
      name: "miniobserv_partitions_dropped_total",
      help: "Time partitions (or TimescaleDB chunks) dropped for retention, by table.",
      labelNames: ["table"] as const,
      registers,
    }),
    defaultPartitionRows: new Gauge({
      name: SIGNAL.defaultPartitionRows,
      help: "Rows in the DEFAULT partition at the last maintenance (should be 0), by table.",
      labelNames: ["table"] as const,
      registers,
    }),
    partitionMaintenanceFailures: new Counter({
      name: "miniobserv_partition_maintenance_failures_total",
      help: "Partition maintenance runs that failed.",
      registers,
    }),
    alertEvaluationDuration: new Histogram({
      name: "miniobserv_alert_evaluation_duration_seconds",
      help: "Duration of alert evaluation cycles (on the replica that evaluates).",
      buckets: DURATION_BUCKETS_SECONDS,
      registers,
    }),
    alertEvaluationFailures: new Counter({
      name: "miniobserv_alert_evaluation_failures_total",
      help: "Alert evaluation cycles that failed as a whole (nothing was written).",
      registers,
    }),
    alertRuleErrors: new Counter({
      name: "miniobserv_alert_rule_errors_total",
      help: "Rule evaluations whose query failed (the rule kept its states).",
      registers,
    }),
    alertRulesSkipped: new Counter({
      name: "miniobserv_alert_rules_skipped_total",
      help: "Rule evaluations skipped because a cycle ran out of its time budget.",
      registers,
    }),
    alertInstances: new Gauge({
      name: "miniobserv_alert_instances",
      help:
        "Alert instances by state (ok, pending, firing, nodata), read from the database at scrape.",
      labelNames: ["state"] as const,
      registers,
      async collect() {
        await fillFrom(this, "state", ALERT_STATES, alertSource, "alert_instances");
      },
    }),
    notifications: new Counter({
      name: SIGNAL.notifications,
      help: "Notification attempts by receiver and outcome (sent, retried, failed).",
      labelNames: ["receiver", "outcome"] as const,
      registers,
    }),
    hosts: new Gauge({
      name: "miniobserv_hosts",
      help: "Known hosts by status (up, stale, down), read from the database at scrape.",
      labelNames: ["status"] as const,
      registers,
      async collect() {
        await fillFrom(this, "status", HOST_STATUSES, hostSource, "hosts");
      },
    }),
    sourceErrors,
  };

  // Known label sets start at 0, so rate() and increase() work from the first scrape.
  for (const kind of INGEST_KINDS) {
    m.batchesIngested.inc({ kind }, 0);
    m.duplicateBatches.inc({ kind }, 0);
    for (const reason of REJECT_REASONS) m.batchesRejected.inc({ kind, reason }, 0);
  }

  return {
    ...m,
    recordMaintenance(report, table = "metric_samples") {
      m.partitionsCreated.inc({ table }, report.created.length);
      m.partitionsDropped.inc({ table }, report.dropped.length);
      m.defaultPartitionRows.set({ table }, report.defaultRows);
    },
    recordAlertCycle(report) {
      m.alertEvaluationDuration.observe(report.totalMs / 1000);
      if (report.failed.length) m.alertRuleErrors.inc(report.failed.length);
      if (report.skipped) m.alertRulesSkipped.inc(report.skipped);
    },
    recordNotification(receiver, outcome) {
      m.notifications.inc({
        receiver,
        outcome: outcome === "delivered" ? "sent" : outcome === "failed" ? "failed" : "retried",
      });
    },
    setHostStatusSource(source) {
      hostSource = source;
    },
    setAlertInstanceSource(source) {
      alertSource = source;
    },
  };
}

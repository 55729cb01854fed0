import assert from "node:assert/strict";
import { shutdownReport } from "../../../agent/telemetry/telemetry.ts";
import {
  lintMetricFamilies,
  type MetricFamilyDescription,
} from "../../../shared/telemetry/names.ts";
import { NOW, quietAgentTelemetry, sampleValue } from "./helpers.ts";

Deno.test("agent metrics: spool gauges and files tailed are read from their sources at scrape", async () => {
  const { telemetry } = quietAgentTelemetry();
  let stats = {
    pendingRecords: 3,
    pendingBytes: 4096,
    totalBytes: 10_000,
    oldestPendingMs: NOW - 90_000 as number | null,
  };
  telemetry.metrics.setSpoolSource(() => stats);
  telemetry.metrics.setLogFilesSource(() => 2);
  let text = await telemetry.registry.metrics();
  assert.equal(sampleValue(text, "miniobserv_agent_spool_pending_batches"), 3);
  assert.equal(sampleValue(text, "miniobserv_agent_spool_pending_bytes"), 4096);
  assert.equal(sampleValue(text, "miniobserv_agent_spool_bytes"), 10_000);
  assert.equal(sampleValue(text, "miniobserv_agent_spool_oldest_pending_age_seconds"), 90);
  assert.equal(sampleValue(text, "miniobserv_agent_spool_max_bytes"), 256 * 1024 * 1024);
  assert.equal(sampleValue(text, "miniobserv_agent_log_files_tailed"), 2);
  stats = { pendingRecords: 0, pendingBytes: 0, totalBytes: 0, oldestPendingMs: null };
  text = await telemetry.registry.metrics();
  assert.equal(sampleValue(text, "miniobserv_agent_spool_oldest_pending_age_seconds"), 0);
});

Deno.test("agent registry: every metric follows the naming conventions", async () => {
  const { telemetry, counters } = quietAgentTelemetry();
  const m = telemetry.metrics;
  m.collectorDuration.observe({ collector: "cpu" }, 0.001);
  m.requests.inc({ kind: "metrics", outcome: "sent" });
  m.requestBytes.inc({ kind: "metrics", outcome: "sent" }, 10);
  m.tokenRenewals.inc();
  m.setSpoolSource(() => ({
    pendingRecords: 1,
    pendingBytes: 1,
    totalBytes: 1,
    oldestPendingMs: NOW,
  }));
  m.setLogFilesSource(() => 1);
  for (
    const name of [
      "collector_errors_total",
      "batches_retried_total",
      "batches_rejected_total",
      "log_rotations_total",
    ]
  ) {
    counters.inc(name, { collector: "cpu" });
  }
  counters.inc("anything_else_total");
  const families = await telemetry.registry
    .getMetricsAsJSON() as unknown as MetricFamilyDescription[];
  assert.ok(families.length > 35, `${families.length} families`);
  assert.deepEqual(lintMetricFamilies(families), []);
});

Deno.test("shutdownReport: the full report as one JSON line and a summary for the log", async () => {
  const { telemetry, counters } = quietAgentTelemetry();
  counters.inc("batches_rejected_total", {}, 2);
  await telemetry.monitor.snapshot();
  const { json, summary } = await shutdownReport(telemetry);
  assert.ok(!json.includes("\n"));
  const report = JSON.parse(json);
  assert.equal(report.program, "agent");
  assert.equal(report.snapshots.length, 1);
  assert.ok(report.metrics.length > 30);
  assert.deepEqual(summary.advice.map((a) => a.id), ["ingest_rejecting"]);
  assert.match(summary.advice[0].message, /refused 2 batches of this agent/);
  assert.equal("metrics" in summary, false);
});

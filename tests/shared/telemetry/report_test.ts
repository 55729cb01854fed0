import assert from "node:assert/strict";
import { Counter, Histogram, Registry } from "prom-client";
import {
  buildReport,
  compactFamilies,
  type RawMetricFamily,
  reportSummary,
} from "../../../shared/telemetry/report.ts";
import { SnapshotRing } from "../../../shared/telemetry/snapshot.ts";
import { SIGNAL } from "../../../shared/telemetry/signal_names.ts";
import { MB, MIN, series, snap, T0 } from "./fixtures.ts";

async function families(): Promise<RawMetricFamily[]> {
  const r = new Registry();
  new Counter({ name: "miniobserv_a_total", help: "A.", labelNames: ["k"], registers: [r] })
    .inc({ k: "x" }, 3);
  const h = new Histogram({
    name: "miniobserv_d_seconds",
    help: "D.",
    labelNames: ["route"],
    buckets: [0.1, 1],
    registers: [r],
  });
  h.observe({ route: "/a" }, 0.05);
  h.observe({ route: "/a" }, 0.5);
  return await r.getMetricsAsJSON() as unknown as RawMetricFamily[];
}

Deno.test("compactFamilies: counters keep values, histograms become count and sum per label set", async () => {
  assert.deepEqual(compactFamilies(await families()), [
    {
      name: "miniobserv_a_total",
      type: "counter",
      help: "A.",
      series: [{ labels: { k: "x" }, value: 3 }],
    },
    {
      name: "miniobserv_d_seconds",
      type: "histogram",
      help: "D.",
      series: [{ labels: { route: "/a" }, count: 2, sum: 0.55 }],
    },
  ]);
});

Deno.test("buildReport: metrics, snapshots (limited), peaks with now, analysis and advice", async () => {
  const ring = new SnapshotRing(1000);
  for (
    const s of series(T0 - 1000, 60 * MIN, 30_000, (dt) => ({
      rssBytes: 100 * MB + 60 * MB * dt / (60 * MIN),
      heapUsedBytes: 50 * MB + 60 * MB * dt / (60 * MIN),
      eventLoopLagP99Seconds: 0.001,
      eventLoopLagMaxSeconds: 0.004,
    }))
  ) ring.push(s);
  const current = snap(T0, {
    rssBytes: 200 * MB,
    heapUsedBytes: 111 * MB,
    signals: { [SIGNAL.defaultPartitionRows]: { 'table="metric_samples"': 5 } },
  });
  const report = buildReport({
    program: "server",
    version: "0.1.0",
    startedAtMs: T0 - 2 * 3_600_000,
    nowMs: T0,
    intervalMs: 30_000,
    current,
    snapshots: ring.toArray(),
    peaks: ring.peaks(),
    families: await families(),
    unavailable: ["x: y"],
    snapshotLimit: 3,
  });
  assert.equal(report.generatedAt, "2025-06-01T12:00:00.000Z");
  assert.equal(report.startedAt, "2025-06-01T10:00:00.000Z");
  assert.equal(report.uptimeSeconds, 7200);
  assert.equal(report.snapshotIntervalSeconds, 30);
  assert.equal(report.snapshotsTotal, 121);
  assert.equal(report.snapshots.length, 3);
  assert.equal(report.snapshots[2].at, T0 - 1000);
  assert.deepEqual(report.peaks.rssBytes, { value: 200 * MB, at: T0 });
  assert.deepEqual(report.eventLoop, { lagP99Seconds: 0.001, lagMaxSeconds: 0.004 });
  assert.equal(report.analysis.verdict, "growing");
  assert.deepEqual(report.advice.map((a) => a.id), ["memory_growing", "default_partition_rows"]);
  assert.equal(report.metrics.length, 2);
  assert.deepEqual(report.unavailable, ["x: y"]);
  const json = JSON.parse(JSON.stringify(report));
  assert.deepEqual(Object.keys(json).sort(), [
    "advice",
    "analysis",
    "current",
    "eventLoop",
    "generatedAt",
    "metrics",
    "peaks",
    "program",
    "snapshotIntervalSeconds",
    "snapshots",
    "snapshotsTotal",
    "startedAt",
    "unavailable",
    "uptimeSeconds",
    "version",
  ]);
  const summary = reportSummary(report);
  assert.equal("metrics" in summary || "snapshots" in summary, false);
  assert.equal("signals" in summary.current, false);
  assert.equal(summary.advice.length, 2);
});

Deno.test("buildReport: a young process has no analysis verdict and no lag yet", () => {
  const report = buildReport({
    program: "agent",
    version: "0.1.0",
    startedAtMs: T0,
    nowMs: T0,
    intervalMs: 30_000,
    current: snap(T0),
    snapshots: [],
    peaks: new SnapshotRing(2).peaks(),
    families: [],
    unavailable: [],
  });
  assert.equal(report.analysis.verdict, "insufficient_data");
  assert.deepEqual(report.eventLoop, { lagP99Seconds: null, lagMaxSeconds: null });
  assert.deepEqual(report.snapshots, []);
  assert.deepEqual(report.advice, []);
});

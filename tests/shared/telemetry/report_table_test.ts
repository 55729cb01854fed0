import assert from "node:assert/strict";
import { buildReport } from "../../../shared/telemetry/report.ts";
import {
  renderReportTable,
  sparkline,
  summarizeFamily,
  wrapText,
} from "../../../shared/telemetry/report_table.ts";
import { SnapshotRing } from "../../../shared/telemetry/snapshot.ts";
import { SIGNAL } from "../../../shared/telemetry/signal_names.ts";
import { MB, MIN, series, snap, T0 } from "./fixtures.ts";

Deno.test("wrapText: words kept whole, long words cut, paragraphs kept", () => {
  assert.deepEqual(wrapText("one two three four", 9), ["one two", "three", "four"]);
  assert.deepEqual(wrapText("abcdefghij", 4), ["abcd", "efgh", "ij"]);
  assert.deepEqual(wrapText("a\nb", 10), ["a", "b"]);
  assert.deepEqual(wrapText("", 10), [""]);
});

Deno.test("sparkline: lowest to highest, averaged down to the width", () => {
  assert.equal(sparkline([1, 2, 3, 4, 5, 6, 7, 8], 8), "▁▂▃▄▅▆▇█");
  assert.equal(sparkline([1, 1, 8, 8], 2), "▁█");
  assert.equal(sparkline([5, 5, 5], 10), "▁▁▁");
  assert.equal(sparkline([], 10), "");
});

Deno.test("summarizeFamily: values, labelled series without zeros, histograms as count and mean", () => {
  assert.equal(
    summarizeFamily({
      name: "miniobserv_x_total",
      type: "counter",
      help: "",
      series: [{ labels: {}, value: 12345 }],
    }),
    "12,345",
  );
  assert.equal(
    summarizeFamily({
      name: "miniobserv_r_total",
      type: "counter",
      help: "",
      series: [{ labels: { reason: "a" }, value: 0 }, { labels: { reason: "b" }, value: 2 }],
    }),
    "reason=b: 2",
  );
  assert.equal(
    summarizeFamily({
      name: "miniobserv_d_seconds",
      type: "histogram",
      help: "",
      series: [{ labels: { route: "/x" }, count: 4, sum: 0.1 }],
    }),
    "route=/x: 4× 25.0 ms avg",
  );
  assert.equal(
    summarizeFamily({
      name: "miniobserv_s_bytes",
      type: "gauge",
      help: "",
      series: [{ labels: {}, value: 2.5e6 }],
    }),
    "2.5 MB",
  );
});

Deno.test("renderReportTable: a closed box of equal-width lines with memory, metrics and advice", () => {
  const ring = new SnapshotRing(200);
  for (
    const s of series(T0 - 30_000, 60 * MIN, 30_000, (dt) => ({
      rssBytes: 100 * MB + dt,
      eventLoopLagP99Seconds: 0.0012,
      eventLoopLagMaxSeconds: 0.009,
    }))
  ) ring.push(s);
  const report = buildReport({
    program: "server",
    version: "0.1.0",
    startedAtMs: T0 - 3_600_000 - 5 * MIN,
    nowMs: T0,
    intervalMs: 30_000,
    current: snap(T0, {
      signals: { [SIGNAL.defaultPartitionRows]: { 'table="metric_samples"': 2 } },
    }),
    snapshots: ring.toArray(),
    peaks: ring.peaks(),
    families: [{
      name: "miniobserv_ingest_samples_total",
      type: "counter",
      help: "h",
      values: [{ value: 99, labels: {} }],
    }, {
      name: "miniobserv_process_cpu_seconds_total",
      type: "counter",
      help: "h",
      values: [{ value: 1, labels: {} }],
    }],
    unavailable: [],
  });
  const table = renderReportTable(report, 100);
  const lines = table.split("\n");
  assert.ok(lines.every((l) => l.length === 100), lines.find((l) => l.length !== 100));
  assert.ok(lines[0].startsWith("┌") && lines.at(-1)!.startsWith("└"));
  assert.match(lines[1], /MiniObserv server 0\.1\.0 · up 1h 5m · 2025-06-01T12:00:00\.000Z/);
  assert.match(table, /│ RSS +│ 100\.0 MB \(peak 103\.6 MB at 2025-06-01 11:59\)/);
  assert.match(table, /│ Memory trend \(last hour\) +│ stable: RSS 3\.4 MB\/h/);
  assert.match(table, /│ Event-loop delay +│ p99 1\.2 ms, max 9\.0 ms/);
  assert.match(table, /│ ingest_samples_total +│ 99 /);
  assert.doesNotMatch(table, /process_cpu_seconds_total/, "process metrics have their own rows");
  assert.match(table, /! WARNING: The DEFAULT partition holds 2 rows/);
});

Deno.test("renderReportTable: says so when there is no advice", () => {
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
    unavailable: ["process_open_fds: no"],
  });
  const table = renderReportTable(report);
  assert.match(table, /No advice: nothing looks wrong\./);
  assert.match(table, /│ Unavailable +│ process_open_fds: no/);
  assert.match(table, /not measured yet/);
});

import assert from "node:assert/strict";
import {
  createServerMetrics,
  INGEST_KINDS,
  REJECT_REASONS,
} from "../../../server/telemetry/server_metrics.ts";
import { alertInstanceCounts, hostStatusCounts } from "../../../server/telemetry/telemetry.ts";
import { createRegistry } from "../../../shared/telemetry/registry.ts";
import { NOW, sampleValue } from "./helpers.ts";

function setup() {
  const registry = createRegistry();
  return { registry, m: createServerMetrics(registry) };
}

Deno.test("server metrics: every ingest kind and rejection reason starts at 0", async () => {
  const { registry } = setup();
  const text = await registry.metrics();
  for (const kind of INGEST_KINDS) {
    for (const reason of REJECT_REASONS) {
      assert.equal(
        sampleValue(
          text,
          `miniobserv_ingest_batches_rejected_total{kind="${kind}",reason="${reason}"}`,
        ),
        0,
      );
    }
  }
});

Deno.test("recordMaintenance: partitions made and dropped add up; default rows are the last count", async () => {
  const { registry, m } = setup();
  m.recordMaintenance({ created: ["p1", "p2"], dropped: ["old"], defaultRows: 0 });
  m.recordMaintenance({ created: ["p3"], dropped: [], defaultRows: 12 });
  m.recordMaintenance({ created: [], dropped: ["a", "b"], defaultRows: 3 }, "log_entries");
  const text = await registry.metrics();
  assert.equal(sampleValue(text, 'miniobserv_partitions_created_total{table="metric_samples"}'), 3);
  assert.equal(sampleValue(text, 'miniobserv_partitions_dropped_total{table="metric_samples"}'), 1);
  assert.equal(sampleValue(text, 'miniobserv_partition_default_rows{table="metric_samples"}'), 12);
  assert.equal(sampleValue(text, 'miniobserv_partitions_dropped_total{table="log_entries"}'), 2);
});

Deno.test("recordAlertCycle and recordNotification", async () => {
  const { registry, m } = setup();
  m.recordAlertCycle({ totalMs: 120, failed: [{}, {}], skipped: 1 });
  m.recordAlertCycle({ totalMs: 30, failed: [], skipped: 0 });
  m.recordNotification("ops", "delivered");
  m.recordNotification("ops", "retry");
  m.recordNotification("ops", "retry");
  m.recordNotification("pager", "failed");
  const text = await registry.metrics();
  assert.equal(sampleValue(text, "miniobserv_alert_evaluation_duration_seconds_count"), 2);
  assert.equal(sampleValue(text, "miniobserv_alert_evaluation_duration_seconds_sum"), 0.15);
  assert.equal(sampleValue(text, "miniobserv_alert_rule_errors_total"), 2);
  assert.equal(sampleValue(text, "miniobserv_alert_rules_skipped_total"), 1);
  assert.equal(
    sampleValue(text, 'miniobserv_notifications_total{receiver="ops",outcome="sent"}'),
    1,
  );
  assert.equal(
    sampleValue(text, 'miniobserv_notifications_total{receiver="ops",outcome="retried"}'),
    2,
  );
  assert.equal(
    sampleValue(text, 'miniobserv_notifications_total{receiver="pager",outcome="failed"}'),
    1,
  );
});

Deno.test("hosts by status: read from the store at scrape, every status present", async () => {
  const { registry, m } = setup();
  const seen = (agoMs: number) => ({
    host: `h${agoMs}`,
    lastSeen: new Date(NOW - agoMs),
    agentVersion: null,
  });
  const store = {
    hosts: () => Promise.resolve([seen(1_000), seen(5_000), seen(45_000), seen(600_000)]),
  };
  m.setHostStatusSource(
    hostStatusCounts(store, { staleAfterMs: 30_000, downAfterMs: 60_000 }, () => NOW),
  );
  const text = await registry.metrics();
  assert.equal(sampleValue(text, 'miniobserv_hosts{status="up"}'), 2);
  assert.equal(sampleValue(text, 'miniobserv_hosts{status="stale"}'), 1);
  assert.equal(sampleValue(text, 'miniobserv_hosts{status="down"}'), 1);
});

Deno.test("alert instances by state: summed over rules; a failing source keeps the last values and is counted", async () => {
  const { registry, m } = setup();
  let fail = false;
  const queries = {
    counts: () =>
      fail ? Promise.reject(new Error("db down")) : Promise.resolve(
        new Map([
          ["cpu", { ok: 3, pending: 1, firing: 2, nodata: 0 }],
          ["disk", { ok: 5, pending: 0, firing: 1, nodata: 1 }],
        ]),
      ),
  };
  m.setAlertInstanceSource(alertInstanceCounts(queries));
  let text = await registry.metrics();
  assert.equal(sampleValue(text, 'miniobserv_alert_instances{state="ok"}'), 8);
  assert.equal(sampleValue(text, 'miniobserv_alert_instances{state="firing"}'), 3);
  assert.equal(sampleValue(text, 'miniobserv_alert_instances{state="nodata"}'), 1);
  fail = true;
  text = await registry.metrics();
  assert.equal(sampleValue(text, 'miniobserv_alert_instances{state="ok"}'), 8);
  // The error counter is rendered alongside, so the count shows from the next scrape on.
  text = await registry.metrics();
  assert.equal(
    sampleValue(text, 'miniobserv_telemetry_source_errors_total{source="alert_instances"}'),
    1,
  );
});

import assert from "node:assert/strict";
import { Counters } from "../../../agent/counters.ts";
import { COUNTER_MAP, parseCounterKey } from "../../../agent/telemetry/counters_bridge.ts";
import { quietAgentTelemetry, sampleValue } from "./helpers.ts";

Deno.test("parseCounterKey: the keys Counters.snapshot() writes", () => {
  const c = new Counters();
  c.inc("a_total");
  c.inc("b_total", { kind: "logs", reason: 'quote " and, comma' });
  const keys = Object.keys(c.snapshot());
  assert.deepEqual(keys.map(parseCounterKey), [
    { name: "a_total", labels: {} },
    { name: "b_total", labels: { kind: "logs", reason: 'quote " and, comma' } },
  ]);
});

Deno.test("bridge: the agent's counters appear under their metric names at every scrape", async () => {
  const { telemetry, counters } = quietAgentTelemetry();
  counters.inc("collector_errors_total", { collector: "cpu" });
  counters.inc("batches_delivered_total", {}, 7);
  counters.inc("send_failures_total", { reason: "network" }, 2);
  counters.inc("spool_dropped_batches_total", { kind: "metrics", reason: "full" }, 3);
  counters.inc("spool_dropped_bytes_total", { kind: "metrics", reason: "full" }, 3000);
  counters.inc("log_entries_read_total", {}, 40);
  counters.inc("log_truncations_total");
  counters.inc("log_bytes_lost_total", { reason: "truncated" }, 123);
  counters.inc("spool_torn_records_total");
  let text = await telemetry.registry.metrics();
  assert.equal(sampleValue(text, 'miniobserv_agent_collector_errors_total{collector="cpu"}'), 1);
  assert.equal(sampleValue(text, "miniobserv_agent_batches_sent_total"), 7);
  assert.equal(sampleValue(text, 'miniobserv_agent_send_failures_total{reason="network"}'), 2);
  assert.equal(
    sampleValue(text, 'miniobserv_agent_spool_dropped_batches_total{kind="metrics",reason="full"}'),
    3,
  );
  assert.equal(
    sampleValue(text, 'miniobserv_agent_spool_dropped_bytes_total{kind="metrics",reason="full"}'),
    3000,
  );
  assert.equal(sampleValue(text, "miniobserv_agent_log_lines_read_total"), 40);
  assert.equal(sampleValue(text, "miniobserv_agent_log_truncations_total"), 1);
  assert.equal(sampleValue(text, 'miniobserv_agent_log_bytes_lost_total{reason="truncated"}'), 123);
  assert.equal(sampleValue(text, 'miniobserv_agent_events_total{event="spool_torn_records"}'), 1);
  // Increases since the last scrape are added; nothing is counted twice.
  counters.inc("batches_delivered_total", {}, 3);
  text = await telemetry.registry.metrics();
  text = await telemetry.registry.metrics();
  assert.equal(sampleValue(text, "miniobserv_agent_batches_sent_total"), 10);
  assert.equal(sampleValue(text, 'miniobserv_agent_collector_errors_total{collector="cpu"}'), 1);
});

Deno.test("bridge: labels a metric does not declare are dropped, missing ones are 'unknown'", async () => {
  const { telemetry, counters } = quietAgentTelemetry();
  counters.inc("batches_delivered_total", { host: "a" }, 2);
  counters.inc("batches_delivered_total", { host: "b" }, 3);
  counters.inc("send_failures_total", {}, 1);
  const text = await telemetry.registry.metrics();
  assert.equal(sampleValue(text, "miniobserv_agent_batches_sent_total"), 5);
  assert.equal(sampleValue(text, 'miniobserv_agent_send_failures_total{reason="unknown"}'), 1);
});

Deno.test("bridge: every counter the map names feeds a counter metric of the agent", () => {
  const { telemetry } = quietAgentTelemetry();
  for (const [counter, target] of Object.entries(COUNTER_MAP)) {
    const metric = telemetry.metrics[target] as unknown as { name: string };
    assert.match(metric.name, /^miniobserv_agent_.*_total$/, counter);
  }
});

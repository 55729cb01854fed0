import assert from "node:assert/strict";
import {
  agentMetricsHandler,
  startAgentMetricsListener,
} from "../../../agent/telemetry/listener.ts";
import { createLogger } from "../../../shared/log.ts";
import { PROMETHEUS_CONTENT_TYPE } from "../../../shared/telemetry/registry.ts";
import { quietAgentTelemetry } from "./helpers.ts";

function handler() {
  const { telemetry, counters } = quietAgentTelemetry();
  return {
    h: agentMetricsHandler({ registry: telemetry.registry, report: (o) => telemetry.report(o) }),
    counters,
    telemetry,
  };
}

Deno.test("agent listener: GET /metrics in the Prometheus text format", async () => {
  const { h, counters } = handler();
  counters.inc("batches_delivered_total", {}, 4);
  const res = await h(new Request("http://agent/metrics"));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), PROMETHEUS_CONTENT_TYPE);
  assert.match(await res.text(), /^miniobserv_agent_batches_sent_total 4$/m);
});

Deno.test("agent listener: GET /self is the report; ?snapshots limits it", async () => {
  const { h, telemetry } = handler();
  await telemetry.monitor.snapshot();
  await telemetry.monitor.snapshot();
  const report = await (await h(new Request("http://agent/self?snapshots=1"))).json();
  assert.equal(report.program, "agent");
  assert.equal(report.snapshotsTotal, 2);
  assert.equal(report.snapshots.length, 1);
  assert.equal((await h(new Request("http://agent/self?snapshots=x"))).status, 400);
});

Deno.test("agent listener: other paths 404, other methods 405", async () => {
  const { h } = handler();
  assert.equal((await h(new Request("http://agent/"))).status, 404);
  const post = await h(new Request("http://agent/metrics", { method: "POST" }));
  assert.equal(post.status, 405);
  assert.equal(post.headers.get("allow"), "GET, HEAD");
});

Deno.test("startAgentMetricsListener: listens on a real port, logs it, shuts down", async () => {
  const { h } = handler();
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger("info", (l) => lines.push(JSON.parse(l)));
  const listener = startAgentMetricsListener({ hostname: "127.0.0.1", port: 0 }, h, logger);
  try {
    assert.ok(listener.addr.port > 0);
    const res = await fetch(`http://127.0.0.1:${listener.addr.port}/metrics`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /miniobserv_process_cpu_seconds_total/);
    assert.deepEqual(lines.find((l) => l.msg === "metrics listening")?.port, listener.addr.port);
  } finally {
    await listener.shutdown();
  }
});

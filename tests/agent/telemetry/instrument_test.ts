import assert from "node:assert/strict";
import { instrumentCollectors } from "../../../agent/telemetry/instrument_collectors.ts";
import {
  instrumentFetch,
  requestKind,
  requestOutcome,
} from "../../../agent/telemetry/instrument_fetch.ts";
import { quietAgentTelemetry, sampleValue } from "./helpers.ts";

Deno.test("requestOutcome and requestKind: classified as the sender does", () => {
  assert.equal(requestOutcome(202), "sent");
  assert.equal(requestOutcome(401), "retried");
  assert.equal(requestOutcome(408), "retried");
  assert.equal(requestOutcome(429), "retried");
  assert.equal(requestOutcome(503), "retried");
  assert.equal(requestOutcome(400), "rejected");
  assert.equal(requestOutcome(413), "rejected");
  assert.equal(requestKind("http://s:8080/api/v1/metrics"), "metrics");
  assert.equal(requestKind("http://s:8080/base/api/v1/logs"), "logs");
  assert.equal(requestKind("http://s:8080/other"), "other");
});

Deno.test("instrumentFetch: requests and body bytes by kind and outcome; network errors are retried", async () => {
  const { telemetry } = quietAgentTelemetry();
  const answers: (number | Error)[] = [202, 503, 400, new TypeError("connection refused")];
  const inner = (() => {
    const a = answers.shift()!;
    return a instanceof Error
      ? Promise.reject(a)
      : Promise.resolve(new Response(null, { status: a }));
  }) as typeof fetch;
  const f = instrumentFetch(inner, telemetry.metrics);
  const body = new Uint8Array(100);
  const url = "http://server:8080/api/v1/metrics";
  assert.equal((await f(url, { method: "POST", body })).status, 202);
  assert.equal((await f(new URL(url), { method: "POST", body: "x".repeat(10) })).status, 503);
  assert.equal((await f(new Request(url, { method: "POST" }), { body })).status, 400);
  await assert.rejects(f(url, { method: "POST", body }), /connection refused/);
  const text = await telemetry.registry.metrics();
  const count = (o: string) =>
    sampleValue(text, `miniobserv_agent_requests_total{kind="metrics",outcome="${o}"}`);
  const bytes = (o: string) =>
    sampleValue(text, `miniobserv_agent_request_bytes_total{kind="metrics",outcome="${o}"}`);
  assert.deepEqual([count("sent"), count("retried"), count("rejected")], [1, 2, 1]);
  assert.deepEqual([bytes("sent"), bytes("retried"), bytes("rejected")], [100, 110, 100]);
});

Deno.test("instrumentCollectors: each run timed under the collector's name, failures too", async () => {
  const { telemetry } = quietAgentTelemetry();
  let clock = 0;
  const collectors = instrumentCollectors(
    [
      {
        name: "cpu",
        collect: () => {
          clock += 3;
          return Promise.resolve([]);
        },
      },
      {
        name: "disk",
        collect: () => {
          clock += 1500;
          return Promise.reject(new Error("stuck"));
        },
      },
    ],
    telemetry.metrics,
    () => clock,
  );
  assert.deepEqual(collectors.map((c) => c.name), ["cpu", "disk"]);
  await collectors[0].collect();
  await collectors[0].collect();
  await assert.rejects(collectors[1].collect(), /stuck/);
  const text = await telemetry.registry.metrics();
  assert.equal(
    sampleValue(text, 'miniobserv_agent_collector_duration_seconds_count{collector="cpu"}'),
    2,
  );
  assert.equal(
    sampleValue(text, 'miniobserv_agent_collector_duration_seconds_sum{collector="cpu"}'),
    0.006,
  );
  assert.equal(
    sampleValue(text, 'miniobserv_agent_collector_duration_seconds_sum{collector="disk"}'),
    1.5,
  );
});

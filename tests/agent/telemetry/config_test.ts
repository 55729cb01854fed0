import assert from "node:assert/strict";
import {
  AGENT_TELEMETRY_ENV_VARIABLES,
  loadAgentTelemetryConfig,
  parseMetricsAddr,
} from "../../../agent/telemetry/config.ts";
import { ConfigError } from "../../../shared/config_env.ts";

Deno.test("AGENT_METRICS_ADDR: off by default; host:port, [v6]:port; off/empty disable", () => {
  assert.deepEqual(loadAgentTelemetryConfig({}), { metricsAddr: null, snapshotIntervalMs: 30_000 });
  assert.deepEqual(parseMetricsAddr("127.0.0.1:9101"), { hostname: "127.0.0.1", port: 9101 });
  assert.deepEqual(parseMetricsAddr("[::1]:9101"), { hostname: "::1", port: 9101 });
  assert.deepEqual(parseMetricsAddr("localhost:0"), { hostname: "localhost", port: 0 });
  assert.equal(parseMetricsAddr("off"), null);
  assert.equal(parseMetricsAddr("OFF"), null);
  assert.equal(loadAgentTelemetryConfig({ AGENT_METRICS_ADDR: "  " }).metricsAddr, null);
});

Deno.test("AGENT_METRICS_ADDR: bad values name the variable", () => {
  for (const bad of ["9101", "host", "127.0.0.1:99999", "http://x:1", "a b:1"]) {
    assert.throws(
      () => loadAgentTelemetryConfig({ AGENT_METRICS_ADDR: bad }),
      (e) =>
        e instanceof ConfigError &&
        e.message.startsWith(`AGENT_METRICS_ADDR=${JSON.stringify(bad)}`),
      bad,
    );
  }
});

Deno.test("agent telemetry config: SELF_SNAPSHOT_INTERVAL, and the variables to allow", () => {
  assert.equal(
    loadAgentTelemetryConfig({ SELF_SNAPSHOT_INTERVAL: "1m" }).snapshotIntervalMs,
    60_000,
  );
  assert.throws(() => loadAgentTelemetryConfig({ SELF_SNAPSHOT_INTERVAL: "1d" }), ConfigError);
  assert.deepEqual([...AGENT_TELEMETRY_ENV_VARIABLES], [
    "AGENT_METRICS_ADDR",
    "SELF_SNAPSHOT_INTERVAL",
  ]);
});

import assert from "node:assert/strict";
import { ConfigError } from "../../../shared/config_env.ts";
import { loadServerTelemetryConfig } from "../../../server/telemetry/config.ts";

Deno.test("server telemetry config: defaults", () => {
  assert.deepEqual(loadServerTelemetryConfig({}), {
    metricsPublic: false,
    snapshotIntervalMs: 30_000,
  });
});

Deno.test("server telemetry config: METRICS_PUBLIC and SELF_SNAPSHOT_INTERVAL", () => {
  assert.deepEqual(
    loadServerTelemetryConfig({ METRICS_PUBLIC: "true", SELF_SNAPSHOT_INTERVAL: "15s" }),
    { metricsPublic: true, snapshotIntervalMs: 15_000 },
  );
  assert.equal(loadServerTelemetryConfig({ METRICS_PUBLIC: "no" }).metricsPublic, false);
  assert.throws(
    () => loadServerTelemetryConfig({ METRICS_PUBLIC: "maybe" }),
    (e) => e instanceof ConfigError && /METRICS_PUBLIC="maybe" is not a boolean/.test(e.message),
  );
  assert.throws(() => loadServerTelemetryConfig({ SELF_SNAPSHOT_INTERVAL: "0s" }), /out of range/);
});

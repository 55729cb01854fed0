/**
 * Walks the server's whole registry, every metric given at least one series, and checks
 * the naming conventions (miniobserv_ prefix, _total only on counters, base units).
 */
import assert from "node:assert/strict";
import {
  lintMetricFamilies,
  type MetricFamilyDescription,
} from "../../../shared/telemetry/names.ts";
import { alertInstanceCounts } from "../../../server/telemetry/telemetry.ts";
import { quietTelemetry } from "./helpers.ts";

Deno.test("server registry: every metric follows the naming conventions", async () => {
  const t = quietTelemetry();
  const m = t.metrics;
  m.httpRequests.inc({ method: "GET", route: "/x", status: "200" });
  m.httpRequestDuration.observe({ method: "GET", route: "/x" }, 0.1);
  m.dbQueryDuration.observe({ operation: "select" }, 0.01);
  m.dbQueryErrors.inc({ operation: "select" });
  m.recordMaintenance({ created: ["a"], dropped: ["b"], defaultRows: 1 });
  m.partitionMaintenanceFailures.inc();
  m.recordAlertCycle({ totalMs: 5, failed: [1], skipped: 1 });
  m.alertEvaluationFailures.inc();
  m.recordNotification("r", "failed");
  m.setHostStatusSource(() => Promise.resolve({ up: 1 }));
  m.setAlertInstanceSource(alertInstanceCounts({ counts: () => Promise.resolve(new Map()) }));
  m.samplesIngested.inc();
  m.logLinesIngested.inc();
  m.sourceErrors.inc({ source: "x" });
  const families = await t.registry.getMetricsAsJSON() as unknown as MetricFamilyDescription[];
  assert.ok(families.length > 30, `${families.length} families`);
  assert.deepEqual(lintMetricFamilies(families), []);
  assert.ok(
    families.every((f) => f.values.length > 0 || f.type === "histogram"),
    "every family has data",
  );
});

import assert from "node:assert/strict";
import { CollectorRegistry } from "../../../agent/collectors/registry.ts";
import type { Collector } from "../../../agent/collectors/collector.ts";
import { Counters } from "../../../agent/counters.ts";
import type { Metric } from "../../../shared/metric.ts";
import { capturedLogger } from "../helpers.ts";

const metric = (name: Metric["name"], value: number): Metric => ({
  time: "2024-01-01T00:00:00.000Z",
  host: "h",
  name,
  value,
  labels: {},
});

Deno.test("CollectorRegistry: a failing collector is logged and counted; the others still run", async () => {
  const collectors: Collector[] = [
    { name: "a", collect: () => Promise.resolve([metric("system.load1", 1)]) },
    { name: "broken", collect: () => Promise.reject(new Error("broken: reading /proc/x: boom")) },
    {
      name: "throws",
      collect: () => {
        throw new Error("sync throw");
      },
    },
    { name: "b", collect: () => Promise.resolve([metric("system.load5", 5)]) },
  ];
  const counters = new Counters();
  const { logger, lines } = capturedLogger();
  const registry = new CollectorRegistry(collectors, logger, counters);
  const metrics = await registry.collectAll();
  assert.deepEqual(metrics.map((m) => m.value), [1, 5]);
  await registry.collectAll();
  assert.equal(counters.get("collector_errors_total", { collector: "broken" }), 2);
  assert.equal(counters.get("collector_errors_total", { collector: "throws" }), 2);
  const errors = lines.filter((l) => l.msg === "collector failed");
  assert.equal(errors.length, 4);
  assert.deepEqual(
    { collector: errors[0].collector, error: errors[0].error, level: errors[0].level },
    { collector: "broken", error: "broken: reading /proc/x: boom", level: "error" },
  );
});

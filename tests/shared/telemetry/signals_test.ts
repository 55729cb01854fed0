import assert from "node:assert/strict";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import {
  counterIncrease,
  labelKey,
  parseLabelKey,
  readSignals,
  signalBy,
  signalSum,
  totalIncrease,
} from "../../../shared/telemetry/signals.ts";

Deno.test("labelKey: sorted, quoted, reversible", () => {
  const key = labelKey({ reason: 'say "hi", ok', kind: "metrics" });
  assert.equal(key, 'kind="metrics",reason="say \\"hi\\", ok"');
  assert.deepEqual(parseLabelKey(key), { kind: "metrics", reason: 'say "hi", ok' });
  assert.equal(labelKey({}), "");
  assert.deepEqual(parseLabelKey(""), {});
});

const M = "miniobserv_x_total";

Deno.test("signalSum and signalBy: filter and group by label", () => {
  const s = {
    [M]: {
      [labelKey({ kind: "metrics", reason: "a" })]: 2,
      [labelKey({ kind: "logs", reason: "a" })]: 3,
      [labelKey({ kind: "metrics", reason: "b" })]: 5,
    },
  };
  assert.equal(signalSum(s, M), 10);
  assert.equal(signalSum(s, M, { kind: "metrics" }), 7);
  assert.equal(signalSum(s, "absent"), 0);
  assert.deepEqual(signalBy(s, M, "reason"), { a: 5, b: 5 });
  assert.deepEqual(signalBy(s, M, "reason", { kind: "logs" }), { a: 3 });
});

Deno.test("counterIncrease: rises per group; a missing baseline counts from zero; a reset counts its value", () => {
  const a = labelKey({ reason: "a" });
  const b = labelKey({ reason: "b" });
  const older = { [M]: { [a]: 5, [b]: 10 } };
  const newer = { [M]: { [a]: 7, [b]: 3 } };
  assert.deepEqual(counterIncrease(older, newer, M, "reason"), { a: 2, b: 3 });
  assert.deepEqual(counterIncrease(undefined, newer, M, "reason"), { a: 7, b: 3 });
  assert.equal(totalIncrease(older, older, M), 0);
  assert.equal(totalIncrease(older, newer, M, { reason: "a" }), 2);
});

Deno.test("readSignals: counters and gauges by label set; histograms and unknown names left out", async () => {
  const r = new Registry();
  new Counter({ name: "c_total", help: "h", labelNames: ["k"], registers: [r] }).inc({ k: "x" }, 4);
  const g = new Gauge({
    name: "g",
    help: "h",
    registers: [r],
    collect() {
      this.set(42);
    },
  });
  new Histogram({ name: "h_seconds", help: "h", registers: [r] }).observe(1);
  const s = await readSignals(r, ["c_total", "g", "h_seconds", "nope"]);
  assert.deepEqual(s, { c_total: { 'k="x"': 4 }, g: { "": 42 } });
  assert.ok(g);
});

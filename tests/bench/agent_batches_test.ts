/**
 * The benchmark's traffic generator produces what a real agent sends: batches that pass
 * the server's own validation, one host each, unique ids, the right size, times on the
 * host's 10 s ticks, and columns that match the JSON row for row.
 */
import assert from "node:assert/strict";
import {
  generateBatch,
  hostName,
  hostProfile,
  seededRandom,
  seriesSpecKey,
  TICK_MS,
  ticksFor,
} from "../../bench/lib/agent_batches.ts";
import { type Metric, validateBatch } from "../../shared/metric.ts";
import { LIMITS } from "../../shared/metric_names.ts";
import { checkBatchWindow } from "../../server/http/batch_window.ts";

const ORIGIN = Date.parse("2025-06-01T10:00:00.000Z");

Deno.test("hostProfile: realistic series sets, different between hosts", () => {
  const counts = new Set<number>();
  for (let i = 0; i < 40; i++) {
    const p = hostProfile(i);
    assert.equal(p.host, hostName(i));
    counts.add(p.series.length);
    assert.ok(p.series.length >= 16 && p.series.length <= 66, `${p.series.length} series`);
    const names = new Set(p.series.map((s) => s.name));
    for (
      const n of [
        "cpu.usage_pct",
        "mem.used_pct",
        "disk.used_pct",
        "net.bytes_in",
        "system.load15",
        "disk.write_bytes",
      ]
    ) assert.ok(names.has(n as never), `${p.host} lacks ${n}`);
    const keys = p.series.map((s) => seriesSpecKey(p.host, s.name, s.labels));
    assert.equal(new Set(keys).size, keys.length, "series are distinct");
    assert.ok(p.phaseMs >= 0 && p.phaseMs < TICK_MS);
  }
  assert.ok(counts.size > 3, "hosts differ in shape");
});

Deno.test("generateBatch: a full batch passes validateBatch and the time window", () => {
  const profile = hostProfile(3);
  const b = generateBatch(profile, {
    id: "run-bench-host-003-0",
    seq: 0,
    size: LIMITS.batchMaxMetrics,
    originMs: ORIGIN,
  });
  const v = validateBatch(JSON.parse(b.body));
  assert.ok(v.ok, v.ok ? "" : v.error);
  assert.equal(v.value.id, "run-bench-host-003-0");
  assert.equal(v.value.host, profile.host);
  assert.equal(v.value.metrics.length, LIMITS.batchMaxMetrics);
  assert.equal(b.samples, LIMITS.batchMaxMetrics);
  assert.ok(v.value.metrics.every((m) => m.host === profile.host));
  const now = b.maxTimeMs + 60_000;
  assert.equal(checkBatchWindow(v.value, now, 30 * 86_400_000), null);
});

Deno.test("generateBatch: JSON and columns agree row for row", () => {
  const profile = hostProfile(11);
  const b = generateBatch(profile, { id: "x-1", seq: 1, size: 300, originMs: ORIGIN });
  const metrics = (JSON.parse(b.body) as { metrics: Metric[] }).metrics;
  assert.equal(b.time.length, 300);
  assert.equal(b.seriesIndex.length, 300);
  assert.equal(b.value.length, 300);
  metrics.forEach((m, i) => {
    const spec = profile.series[b.seriesIndex[i]];
    assert.equal(Date.parse(m.time), b.time[i]);
    assert.equal(m.name, spec.name);
    assert.deepEqual(m.labels, spec.labels);
    assert.equal(m.value, b.value[i]);
  });
  assert.equal(b.maxTimeMs, Math.max(...b.time));
});

Deno.test("generateBatch: consecutive batches continue the host's stream tick by tick", () => {
  const profile = hostProfile(5);
  const n = profile.series.length;
  const size = 2 * n + 3; // two full ticks and part of a third
  const first = generateBatch(profile, { id: "a", seq: 0, size, originMs: ORIGIN });
  const second = generateBatch(profile, { id: "b", seq: 1, size, originMs: ORIGIN });
  const start = ORIGIN + profile.phaseMs;
  assert.equal(first.time[0], start);
  assert.equal(first.time[n], start + TICK_MS);
  assert.equal(first.seriesIndex[2 * n + 2], 2);
  // The second batch picks up at series 3 of tick 2.
  assert.equal(second.seriesIndex[0], 3);
  assert.equal(second.time[0], start + 2 * TICK_MS);
  assert.equal(ticksFor(profile, 2 * size), Math.ceil((2 * size) / n));
});

Deno.test("generateBatch: deterministic for the same host and sequence", () => {
  const p = hostProfile(9);
  const a = generateBatch(p, { id: "same", seq: 4, size: 100, originMs: ORIGIN });
  const b = generateBatch(p, { id: "same", seq: 4, size: 100, originMs: ORIGIN });
  assert.equal(a.body, b.body);
});

Deno.test("seededRandom: repeatable and within [0, 1)", () => {
  const a = seededRandom(42);
  const b = seededRandom(42);
  for (let i = 0; i < 1000; i++) {
    const x = a();
    assert.equal(x, b());
    assert.ok(x >= 0 && x < 1);
  }
});

Deno.test("seriesSpecKey: label order does not matter", () => {
  assert.equal(
    seriesSpecKey("h", "disk.used_pct", { mount: "/", device: "sda1" }),
    seriesSpecKey("h", "disk.used_pct", { device: "sda1", mount: "/" }),
  );
  assert.notEqual(
    seriesSpecKey("h", "cpu.usage_pct", { core: "0" }),
    seriesSpecKey("h", "cpu.usage_pct", { core: "1" }),
  );
});

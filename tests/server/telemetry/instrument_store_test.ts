import assert from "node:assert/strict";
import type { LogStore } from "../../../server/logs/log_store.ts";
import {
  instrumentLogStore,
  instrumentMetricStore,
} from "../../../server/telemetry/instrument_store.ts";
import { createServerMetrics } from "../../../server/telemetry/server_metrics.ts";
import { createRegistry } from "../../../shared/telemetry/registry.ts";
import { MemoryStore, NOW, sampleValue } from "./helpers.ts";

const batch = (id: string, n: number) => ({
  id,
  host: "h",
  metrics: Array.from({ length: n }, () => ({
    host: "h",
    name: "cpu.usage_pct" as const,
    time: new Date(NOW).toISOString(),
    value: 1,
    labels: {},
  })),
});

Deno.test("instrumentMetricStore: samples and batches counted once; a retried batch is a duplicate", async () => {
  const registry = createRegistry();
  const m = createServerMetrics(registry);
  const inner = new MemoryStore();
  const store = instrumentMetricStore(inner, m);
  assert.deepEqual(await store.ingest(batch("a", 3), "0.1.0", new Date(NOW)), {
    ingested: 3,
    duplicate: false,
  });
  await store.ingest(batch("b", 2), null, new Date(NOW));
  assert.deepEqual(await store.ingest(batch("a", 3), null, new Date(NOW)), {
    ingested: 0,
    duplicate: true,
  });
  assert.equal((await store.hosts()).length, 2, "other methods pass through");
  await store.ping();
  const text = await registry.metrics();
  assert.equal(sampleValue(text, "miniobserv_ingest_samples_total"), 5);
  assert.equal(sampleValue(text, 'miniobserv_ingest_batches_total{kind="metrics"}'), 2);
  assert.equal(sampleValue(text, 'miniobserv_ingest_duplicate_batches_total{kind="metrics"}'), 1);
});

Deno.test("instrumentLogStore: stored lines counted; an all-duplicate batch is a duplicate batch", async () => {
  const registry = createRegistry();
  const m = createServerMetrics(registry);
  const results = [
    { stored: [{}, {}, {}], duplicates: 1, tooOld: 0, future: 0 },
    { stored: [], duplicates: 4, tooOld: 0, future: 0 },
  ];
  const inner = {
    ingest: () => Promise.resolve(results.shift()!),
    search: () => Promise.resolve({ entries: [], next: null }),
  } as unknown as LogStore;
  const store = instrumentLogStore(inner, m);
  const b = { id: "l", host: "h", entries: [] };
  await store.ingest(b, new Date(NOW));
  await store.ingest(b, new Date(NOW));
  const text = await registry.metrics();
  assert.equal(sampleValue(text, "miniobserv_ingest_log_lines_total"), 3);
  assert.equal(sampleValue(text, 'miniobserv_ingest_batches_total{kind="logs"}'), 1);
  assert.equal(sampleValue(text, 'miniobserv_ingest_duplicate_batches_total{kind="logs"}'), 1);
});

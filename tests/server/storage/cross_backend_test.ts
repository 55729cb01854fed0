/**
 * The same dataset on every backend gives identical answers: `date_bin` (PostgreSQL,
 * PGlite) and `time_bucket` (TimescaleDB) make the same buckets, and every aggregation,
 * `latest` and `hosts` agree.
 */
import assert from "node:assert/strict";
import { AGGS, BUCKETS } from "../../../server/storage/metric_store.ts";
import type { OpenedStore } from "./backends.ts";
import { BACKENDS } from "./backends.ts";
import { batches, dataset, DATASET_FROM, DATASET_HOST, DATASET_TO, NOW } from "./fixtures.ts";

const SELECTIONS = [
  { name: "cpu.usage_pct", labels: {} },
  { name: "cpu.usage_pct", labels: { core: "total" } },
  { name: "disk.used_pct", labels: {} },
  { name: "disk.used_pct", labels: { mount: "/var" } },
] as const;

async function answers(s: OpenedStore): Promise<Record<string, unknown>> {
  for (const b of batches(DATASET_HOST, dataset())) {
    await s.store.ingest(b, "0.1.0", new Date(NOW));
  }
  const out: Record<string, unknown> = {};
  // An offset window, so the first and last buckets are partial.
  const from = new Date(DATASET_FROM + 3_333_000);
  const to = new Date(DATASET_TO - 1_111_000);
  for (const sel of SELECTIONS) {
    for (const bucket of BUCKETS) {
      for (const agg of AGGS) {
        out[`${sel.name} ${JSON.stringify(sel.labels)} ${bucket} ${agg}`] = await s.store.query({
          host: DATASET_HOST,
          name: sel.name,
          labels: sel.labels,
          from,
          to,
          bucket,
          agg,
        });
      }
    }
  }
  out.latest = await s.store.latest(DATASET_HOST);
  out.hosts = await s.store.hosts();
  return out;
}

const active = BACKENDS.filter((b) => !b.skip);

Deno.test(
  `storage: ${active.map((b) => b.name).join(", ")} give identical answers${
    active.length < BACKENDS.length
      ? ` (skipped: ${
        BACKENDS.filter((b) => b.skip).map((b) => `${b.name}: ${b.skip}`).join("; ")
      })`
      : ""
  }`,
  async () => {
    const results: Record<string, Record<string, unknown>> = {};
    for (const backend of active) {
      const s = await backend.open({ now: () => NOW });
      try {
        assert.equal(
          s.db.timescale,
          backend.name === "timescaledb",
          "time_bucket on TimescaleDB only",
        );
        results[backend.name] = await answers(s);
      } finally {
        await s.close();
      }
    }
    const [first, ...rest] = active.map((b) => b.name);
    const reference = results[first];
    // Not vacuous: the 5 m average of core total has points, 1 d buckets split at midnight.
    const fiveMin = reference[`cpu.usage_pct {"core":"total"} 5m avg`] as {
      points: unknown[];
    }[];
    assert.ok(fiveMin[0].points.length > 300);
    const days = reference[`cpu.usage_pct {"core":"total"} 1d sum`] as {
      points: { time: string }[];
    }[];
    assert.deepEqual(days[0].points.map((p) => p.time), [
      "2026-03-08T00:00:00.000Z",
      "2026-03-09T00:00:00.000Z",
      "2026-03-10T00:00:00.000Z",
    ]);
    assert.equal((reference[`cpu.usage_pct {} 1h last`] as unknown[]).length, 3);
    for (const name of rest) {
      for (const key of Object.keys(reference)) {
        assert.deepEqual(results[name][key], reference[key], `${name} vs ${first}: ${key}`);
      }
    }
  },
);

/**
 * The shared `SqlMetricStore` suite, run on every backend (PGlite, PostgreSQL, TimescaleDB).
 */
import assert from "node:assert/strict";
import { createLogger, silentLogger } from "../../../shared/log.ts";
import { AGGS, BUCKET_MS, BUCKETS } from "../../../server/storage/metric_store.ts";
import { SqlMetricStore } from "../../../server/storage/sql_metric_store.ts";
import { type Backend, BACKENDS, type OpenedStore, type OpenOptions } from "./backends.ts";
import {
  batch,
  batches,
  dataset,
  DATASET_FROM,
  DATASET_HOST,
  DATASET_TO,
  DAY,
  metric,
  NOW,
  referenceBuckets,
} from "./fixtures.ts";

const RECEIVED = new Date(NOW);

function suite(name: string, fn: (s: OpenedStore) => Promise<void>, opts: OpenOptions = {}) {
  for (const backend of BACKENDS) {
    Deno.test({
      name: `${backend.name}: ${name}${backend.skip ? ` (skipped: ${backend.skip})` : ""}`,
      ignore: !!backend.skip,
      fn: () => withStore(backend, opts, fn),
    });
  }
}

async function withStore(
  backend: Backend,
  opts: OpenOptions,
  fn: (s: OpenedStore) => Promise<void>,
) {
  const s = await backend.open({ now: () => NOW, ...opts });
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

/** Samples at 00:00:05=1, 00:00:15=2, 00:01:05=4, 00:04:59=8, 00:05:00=16 on 2026-03-10. */
const SMALL = [
  ["2026-03-10T00:00:05Z", 1],
  ["2026-03-10T00:00:15Z", 2],
  ["2026-03-10T00:01:05Z", 4],
  ["2026-03-10T00:04:59Z", 8],
  ["2026-03-10T00:05:00Z", 16],
] as const;
const DAY_FROM = new Date("2026-03-09T00:00:00Z");
const DAY_TO = new Date("2026-03-11T00:00:00Z");

async function ingestSmall(s: OpenedStore, host = "h1") {
  const metrics = SMALL.map(([t, v]) => metric(host, "mem.used_pct", t, v));
  return await s.store.ingest(batch(host, metrics), "0.1.0", RECEIVED);
}

function q(bucket: typeof BUCKETS[number], agg: typeof AGGS[number], extra = {}) {
  return {
    host: "h1",
    name: "mem.used_pct" as const,
    from: DAY_FROM,
    to: DAY_TO,
    bucket,
    agg,
    labels: {},
    ...extra,
  };
}

const pts = (...p: [string, number][]) => p.map(([time, value]) => ({ time, value }));

suite("ingest then query returns the samples in 10 s buckets", async (s) => {
  assert.deepEqual(await ingestSmall(s), { ingested: 5, duplicate: false });
  const result = await s.store.query(q("10s", "avg"));
  assert.deepEqual(result, [{
    labels: {},
    points: pts(
      ["2026-03-10T00:00:00.000Z", 1],
      ["2026-03-10T00:00:10.000Z", 2],
      ["2026-03-10T00:01:00.000Z", 4],
      ["2026-03-10T00:04:50.000Z", 8],
      ["2026-03-10T00:05:00.000Z", 16],
    ),
  }]);
});

suite("every aggregation gives the exact numbers", async (s) => {
  await ingestSmall(s);
  const one = async (bucket: typeof BUCKETS[number], agg: typeof AGGS[number]) =>
    (await s.store.query(q(bucket, agg)))[0].points;
  assert.deepEqual(
    await one("1m", "avg"),
    pts(
      ["2026-03-10T00:00:00.000Z", 1.5],
      ["2026-03-10T00:01:00.000Z", 4],
      ["2026-03-10T00:04:00.000Z", 8],
      ["2026-03-10T00:05:00.000Z", 16],
    ),
  );
  assert.deepEqual(
    await one("5m", "sum"),
    pts(["2026-03-10T00:00:00.000Z", 15], ["2026-03-10T00:05:00.000Z", 16]),
  );
  assert.deepEqual(
    await one("5m", "min"),
    pts(["2026-03-10T00:00:00.000Z", 1], ["2026-03-10T00:05:00.000Z", 16]),
  );
  assert.deepEqual(
    await one("5m", "max"),
    pts(["2026-03-10T00:00:00.000Z", 8], ["2026-03-10T00:05:00.000Z", 16]),
  );
  assert.deepEqual(
    await one("5m", "last"),
    pts(["2026-03-10T00:00:00.000Z", 8], ["2026-03-10T00:05:00.000Z", 16]),
  );
  assert.deepEqual(await one("15m", "avg"), pts(["2026-03-10T00:00:00.000Z", 6.2]));
  assert.deepEqual(await one("1h", "sum"), pts(["2026-03-10T00:00:00.000Z", 31]));
  assert.deepEqual(await one("1d", "last"), pts(["2026-03-10T00:00:00.000Z", 16]));
  assert.deepEqual(await one("1d", "max"), pts(["2026-03-10T00:00:00.000Z", 16]));
});

suite("from is inclusive and to exclusive", async (s) => {
  await ingestSmall(s);
  const result = await s.store.query(q("5m", "sum", {
    from: new Date("2026-03-10T00:00:15Z"),
    to: new Date("2026-03-10T00:05:00Z"),
  }));
  assert.deepEqual(result[0].points, pts(["2026-03-10T00:00:00.000Z", 14]));
  assert.deepEqual(
    await s.store.query(q("5m", "sum", { from: DAY_TO, to: DAY_FROM })),
    [],
  );
});

suite("every bucket width and aggregation matches the reference", async (s) => {
  for (const b of batches(DATASET_HOST, dataset())) {
    await s.store.ingest(b, "0.1.0", RECEIVED);
  }
  const samples = dataset()
    .filter((m) => m.name === "cpu.usage_pct" && m.labels.core === "total")
    .map((m) => ({ time: Date.parse(m.time), value: m.value }));
  const from = DATASET_FROM + 1_234_567;
  const to = DATASET_TO - 7_654_321;
  for (const bucket of BUCKETS) {
    for (const agg of AGGS) {
      const result = await s.store.query({
        host: DATASET_HOST,
        name: "cpu.usage_pct",
        from: new Date(from),
        to: new Date(to),
        bucket,
        agg,
        labels: { core: "total" },
      });
      assert.equal(result.length, 1, `${bucket} ${agg}: one series`);
      assert.deepEqual(
        result[0].points,
        referenceBuckets(samples, BUCKET_MS[bucket], agg, from, to),
        `${bucket} ${agg}`,
      );
    }
  }
});

suite("label matchers select series; core=total and per-core stay separate", async (s) => {
  await s.store.ingest(
    batch("h1", [
      metric("h1", "cpu.usage_pct", "2026-03-10T10:00:00Z", 50, { core: "total" }),
      metric("h1", "cpu.usage_pct", "2026-03-10T10:00:00Z", 20, { core: "0" }),
      metric("h1", "cpu.usage_pct", "2026-03-10T10:00:00Z", 80, { core: "1" }),
      metric("h1", "disk.used_pct", "2026-03-10T10:00:00Z", 10, { mount: "/", device: "sda1" }),
      metric("h1", "disk.used_pct", "2026-03-10T10:00:00Z", 90, { device: "sdb1", mount: "/var" }),
    ]),
    null,
    RECEIVED,
  );
  await s.store.ingest(
    batch("h2", [metric("h2", "cpu.usage_pct", "2026-03-10T10:00:00Z", 99, { core: "total" })]),
    null,
    RECEIVED,
  );
  const cpu = (labels: Record<string, string>) =>
    s.store.query({
      host: "h1",
      name: "cpu.usage_pct",
      from: DAY_FROM,
      to: DAY_TO,
      bucket: "1h",
      agg: "avg",
      labels,
    });
  const all = await cpu({});
  assert.deepEqual(all.map((r) => [r.labels, r.points[0].value]), [
    [{ core: "0" }, 20],
    [{ core: "1" }, 80],
    [{ core: "total" }, 50],
  ]);
  assert.deepEqual(await cpu({ core: "total" }), [{
    labels: { core: "total" },
    points: pts(["2026-03-10T10:00:00.000Z", 50]),
  }]);
  assert.deepEqual((await cpu({ core: "1" })).map((r) => r.points[0].value), [80]);
  assert.deepEqual(await cpu({ core: "7" }), []);
  assert.deepEqual(await cpu({ device: "sda1" }), []);
  const disk = await s.store.query({
    host: "h1",
    name: "disk.used_pct",
    from: DAY_FROM,
    to: DAY_TO,
    bucket: "1h",
    agg: "max",
    labels: { device: "sdb1", mount: "/var" },
  });
  assert.deepEqual(disk, [{
    labels: { device: "sdb1", mount: "/var" },
    points: pts(["2026-03-10T10:00:00.000Z", 90]),
  }]);
  assert.deepEqual(await s.store.query({ ...q("1h", "avg"), host: "nobody" }), []);
});

suite("label order does not create a second series", async (s) => {
  await s.store.ingest(
    batch("h1", [
      metric("h1", "disk.used_pct", "2026-03-10T10:00:00Z", 10, { mount: "/", device: "sda1" }),
    ]),
    null,
    RECEIVED,
  );
  await s.store.ingest(
    batch("h1", [
      metric("h1", "disk.used_pct", "2026-03-10T10:00:10Z", 30, { device: "sda1", mount: "/" }),
    ]),
    null,
    RECEIVED,
  );
  const rows = await s.db.query("SELECT id FROM series");
  assert.equal(rows.length, 1);
  const result = await s.store.query({
    ...q("1h", "avg"),
    name: "disk.used_pct",
  });
  assert.deepEqual(result[0].points, pts(["2026-03-10T10:00:00.000Z", 20]));
});

suite("a duplicate batch stores nothing", async (s) => {
  const b = batch("h1", [metric("h1", "mem.used_pct", "2026-03-10T10:00:00Z", 5)]);
  assert.deepEqual(await s.store.ingest(b, "0.1.0", RECEIVED), { ingested: 1, duplicate: false });
  const later = new Date(NOW + 60_000);
  assert.deepEqual(await s.store.ingest(b, "0.2.0", later), { ingested: 0, duplicate: true });
  const count = await s.db.query<{ n: unknown }>("SELECT count(*) AS n FROM metric_samples");
  assert.equal(Number(count[0].n), 1);
  assert.deepEqual(await s.store.hosts(), [
    { host: "h1", lastSeen: RECEIVED, agentVersion: "0.1.0" },
  ]);
  // The same id from another host is another batch.
  const other = { ...b, host: "h2", metrics: b.metrics.map((m) => ({ ...m, host: "h2" })) };
  assert.deepEqual(await s.store.ingest(other, null, RECEIVED), { ingested: 1, duplicate: false });
});

suite("concurrent retries of one batch store it once", async (s) => {
  const b = batch("h1", [
    metric("h1", "mem.used_pct", "2026-03-10T10:00:00Z", 5),
    metric("h1", "mem.used_pct", "2026-03-10T10:00:10Z", 6),
  ]);
  const results = await Promise.all([1, 2, 3, 4].map(() => s.store.ingest(b, null, RECEIVED)));
  assert.equal(results.filter((r) => !r.duplicate).length, 1);
  assert.deepEqual(results.find((r) => !r.duplicate), { ingested: 2, duplicate: false });
  const count = await s.db.query<{ n: unknown }>("SELECT count(*) AS n FROM metric_samples");
  assert.equal(Number(count[0].n), 2);
});

suite("latest returns the newest value of every series of a host", async (s) => {
  await s.store.ingest(
    batch("h1", [
      metric("h1", "cpu.usage_pct", "2026-03-10T10:00:00Z", 1, { core: "total" }),
      metric("h1", "cpu.usage_pct", "2026-03-10T10:00:20Z", 3, { core: "total" }),
      metric("h1", "cpu.usage_pct", "2026-03-10T10:00:10Z", 2, { core: "total" }),
      metric("h1", "cpu.usage_pct", "2026-03-09T23:59:59Z", 7, { core: "0" }),
      metric("h1", "mem.used_pct", "2026-03-08T10:00:00Z", 40),
    ]),
    null,
    RECEIVED,
  );
  await s.store.ingest(
    batch("h2", [metric("h2", "mem.used_pct", "2026-03-10T11:00:00Z", 99)]),
    null,
    RECEIVED,
  );
  assert.deepEqual(await s.store.latest("h1"), [
    { name: "cpu.usage_pct", labels: { core: "0" }, time: "2026-03-09T23:59:59.000Z", value: 7 },
    {
      name: "cpu.usage_pct",
      labels: { core: "total" },
      time: "2026-03-10T10:00:20.000Z",
      value: 3,
    },
    { name: "mem.used_pct", labels: {}, time: "2026-03-08T10:00:00.000Z", value: 40 },
  ]);
  assert.deepEqual(await s.store.latest("nobody"), []);
});

suite("latest looks back no further than the retention", async (s) => {
  // Stored when it was recent; 29 days later (retention 30 d) it is still found, 31 days later not.
  let now = NOW;
  const store = new SqlMetricStore(s.db, {
    retentionMs: 30 * DAY,
    log: silentLogger,
    now: () => now,
    partitions: s.partitions,
  });
  await store.ingest(
    batch("h1", [metric("h1", "mem.used_pct", "2026-03-10T10:00:00Z", 40)]),
    null,
    RECEIVED,
  );
  now = NOW + 29 * DAY;
  assert.equal((await store.latest("h1")).length, 1);
  now = NOW + 31 * DAY;
  assert.deepEqual(await store.latest("h1"), []);
});

suite("hosts records last_seen (never going back) and the agent version", async (s) => {
  const t1 = new Date(NOW - 60_000);
  const t2 = new Date(NOW);
  await s.store.ingest(batch("b-host", []), "0.1.0", t1);
  await s.store.ingest(batch("a-host", []), null, t1);
  assert.deepEqual(await s.store.hosts(), [
    { host: "a-host", lastSeen: t1, agentVersion: null },
    { host: "b-host", lastSeen: t1, agentVersion: "0.1.0" },
  ]);
  await s.store.ingest(batch("b-host", []), "0.2.0", t2);
  await s.store.ingest(batch("b-host", []), "0.0.9", t1); // a late, older batch
  await s.store.ingest(batch("a-host", []), "0.2.0", t2);
  assert.deepEqual(await s.store.hosts(), [
    { host: "a-host", lastSeen: t2, agentVersion: "0.2.0" },
    { host: "b-host", lastSeen: t2, agentVersion: "0.2.0" },
  ]);
  const first = await s.db.query<{ first_seen: Date }>(
    "SELECT first_seen FROM hosts WHERE host = 'b-host'",
  );
  assert.equal(new Date(first[0].first_seen).getTime(), t1.getTime());
});

suite("samples older than the retention are not stored", async (s) => {
  const result = await s.store.ingest(
    batch("h1", [
      metric("h1", "mem.used_pct", NOW - 31 * DAY, 1),
      metric("h1", "mem.used_pct", NOW - 29 * DAY, 2),
    ]),
    null,
    RECEIVED,
  );
  assert.deepEqual(result, { ingested: 1, duplicate: false });
  const rows = await s.db.query<{ value: number }>("SELECT value FROM metric_samples");
  assert.deepEqual(rows.map((r) => r.value), [2]);
});

suite("ingest makes the partitions of the batch's days, so nothing lands in default", async (s) => {
  await s.store.ingest(
    batch("h1", [
      metric("h1", "mem.used_pct", NOW - 20 * DAY, 1),
      metric("h1", "mem.used_pct", NOW + 2 * DAY, 2),
      metric("h1", "mem.used_pct", NOW, 3),
    ]),
    null,
    RECEIVED,
  );
  assert.equal(await s.partitions.countDefaultRows(), 0);
  const count = await s.db.query<{ n: unknown }>("SELECT count(*) AS n FROM metric_samples");
  assert.equal(Number(count[0].n), 3);
});

suite("ping answers", async (s) => {
  await s.store.ping();
});

suite("samples left out or sent to the default partition are logged", async (s) => {
  const lines: string[] = [];
  const store = new SqlMetricStore(s.db, {
    retentionMs: 30 * DAY,
    log: createLogger("warn", (l) => lines.push(l)),
    now: () => NOW,
    partitions: s.partitions,
  });
  await store.ingest(
    batch("h1", [
      metric("h1", "mem.used_pct", NOW - 40 * DAY, 1),
      metric("h1", "mem.used_pct", NOW + 40 * DAY, 2),
      metric("h1", "mem.used_pct", NOW, 3),
    ], "b-logged"),
    null,
    RECEIVED,
  );
  assert.deepEqual(
    lines.map((l) => JSON.parse(l)).map((e) => [e.msg, e.batch, e.samples]),
    [
      ["storage: ingest: samples older than the retention were not stored", "b-logged", 1],
      ["storage: ingest: samples far in the future go to the default partition", "b-logged", 1],
    ],
  );
});

suite("the largest label set validation allows is stored and queried", async (s) => {
  // 16 labels of 128-character keys and values: ~4 KiB of JSON, more than a B-tree
  // index row may hold, so the series identity must not index the raw labels.
  // Incompressible text (a fixed pseudo-random sequence) so PostgreSQL cannot shrink it.
  let seed = 12345;
  const text = (n: number) =>
    Array.from({ length: n }, () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return "abcdefghijklmnopqrstuvwxyz0123456789"[seed % 36];
    }).join("");
  const labels = Object.fromEntries(Array.from({ length: 16 }, () => [text(128), text(128)]));
  const [matchKey, matchValue] = Object.entries(labels)[3];
  const m = metric("h-big", "disk.used_pct", "2026-03-10T00:00:05Z", 42, labels);
  assert.deepEqual(await s.store.ingest(batch("h-big", [m]), null, RECEIVED), {
    ingested: 1,
    duplicate: false,
  });
  // A second batch reuses the same series (no duplicate series row).
  const m2 = metric("h-big", "disk.used_pct", "2026-03-10T00:00:15Z", 44, labels);
  await s.store.ingest(batch("h-big", [m2]), null, RECEIVED);
  const [{ n }] = await s.db.query<{ n: unknown }>(
    "SELECT count(*) AS n FROM series WHERE host = 'h-big'",
  );
  assert.equal(Number(n), 1);
  const result = await s.store.query({
    host: "h-big",
    name: "disk.used_pct",
    from: DAY_FROM,
    to: DAY_TO,
    bucket: "1m",
    agg: "max",
    labels: { [matchKey]: matchValue },
  });
  assert.equal(result.length, 1);
  assert.deepEqual(result[0].labels, labels);
  assert.deepEqual(result[0].points, [{ time: "2026-03-10T00:00:00.000Z", value: 44 }]);
});

/**
 * `GET /api/v1/metrics/query` and `/latest`: points oldest first, label filters, per-core
 * series apart from `core=total`, aggregations, `auto` buckets, and a 400 naming every bad
 * parameter.
 */
import assert from "node:assert/strict";
import { batch, get, type Harness, harness, metric, NOW, postMetrics } from "./harness.ts";
import { testOnStores } from "./storage.ts";
import { validToken } from "./tokens.ts";

const HOST = "db-1";
const MIN = 60_000;

interface Series {
  labels: Record<string, string>;
  points: { time: string; value: number }[];
}

async function seed(h: Harness): Promise<void> {
  const token = await validToken(HOST, "ingest", NOW);
  // Sent newest first, to show the answer is ordered by time and not by arrival.
  const ms = [];
  for (let i = 0; i < 5; i++) {
    const t = NOW - (i + 1) * MIN + 5_000; // hh:55:05, hh:56:05, … one per minute
    ms.push(metric(HOST, "cpu.usage_pct", t, 10 + i, { core: "total" }));
    ms.push(metric(HOST, "cpu.usage_pct", t, 20 + i, { core: "0" }));
    ms.push(metric(HOST, "cpu.usage_pct", t, 30 + i, { core: "1" }));
  }
  // Two samples in one minute for the aggregations.
  ms.push(metric(HOST, "mem.used_pct", NOW - 2 * MIN + 1_000, 10));
  ms.push(metric(HOST, "mem.used_pct", NOW - 2 * MIN + 31_000, 30));
  ms.push(metric(HOST, "mem.used_pct", NOW - 2 * MIN + 45_000, 20));
  const res = await postMetrics(h, batch("seed", HOST, ms), token);
  assert.equal(res.status, 202);
  await res.body?.cancel();
}

async function query(h: Harness, qs: string): Promise<[number, Record<string, unknown>]> {
  const token = await validToken("reader", "read", NOW);
  const res = await get(h, `/api/v1/metrics/query?${qs}`, token);
  return [res.status, await res.json() as Record<string, unknown>];
}

function byCore(series: Series[]): Record<string, Series> {
  return Object.fromEntries(series.map((s) => [s.labels.core, s]));
}

testOnStores("query: one series per label set, points oldest first", async (store, clock) => {
  const h = harness(store, {}, clock);
  await seed(h);
  const [status, body] = await query(h, `host=${HOST}&name=cpu.usage_pct&bucket=1m&agg=avg`);
  assert.equal(status, 200);
  assert.equal(body.host, HOST);
  assert.equal(body.name, "cpu.usage_pct");
  assert.equal(body.bucket, "1m");
  assert.equal(body.agg, "avg");
  const series = byCore(body.series as Series[]);
  assert.deepEqual(Object.keys(series).sort(), ["0", "1", "total"]);
  // core=total is its own series, never mixed into the per-core ones.
  assert.deepEqual(series.total.points.map((p) => p.value), [14, 13, 12, 11, 10]);
  assert.deepEqual(series["0"].points.map((p) => p.value), [24, 23, 22, 21, 20]);
  const times = series.total.points.map((p) => Date.parse(p.time));
  assert.deepEqual(times, [...times].sort((a, b) => a - b));
  assert.equal(times[0], NOW - 5 * MIN);
});

testOnStores("query: label filters select the matching series only", async (store, clock) => {
  const h = harness(store, {}, clock);
  await seed(h);
  let [status, body] = await query(h, `host=${HOST}&name=cpu.usage_pct&bucket=1m&label.core=total`);
  assert.equal(status, 200);
  const series = body.series as Series[];
  assert.equal(series.length, 1);
  assert.deepEqual(series[0].labels, { core: "total" });
  [status, body] = await query(h, `host=${HOST}&name=cpu.usage_pct&label.core=7`);
  assert.equal(status, 200);
  assert.deepEqual(body.series, []);
  [status, body] = await query(h, `host=${HOST}&name=cpu.usage_pct&label.cpu=0`);
  assert.deepEqual(body.series, []);
  [status, body] = await query(h, `host=other&name=cpu.usage_pct`);
  assert.equal(status, 200);
  assert.deepEqual(body.series, []);
});

testOnStores("query: aggregations over one bucket", async (store, clock) => {
  const h = harness(store, {}, clock);
  await seed(h);
  const expected: Record<string, number> = { avg: 20, min: 10, max: 30, sum: 60, last: 20 };
  for (const [agg, value] of Object.entries(expected)) {
    const [status, body] = await query(h, `host=${HOST}&name=mem.used_pct&bucket=1m&agg=${agg}`);
    assert.equal(status, 200, agg);
    const series = body.series as Series[];
    assert.equal(series.length, 1);
    assert.equal(series[0].points.length, 1);
    assert.equal(Date.parse(series[0].points[0].time), NOW - 2 * MIN, agg);
    assert.equal(series[0].points[0].value, value, agg);
  }
});

testOnStores("query: defaults are the last hour, bucket auto and avg", async (store, clock) => {
  const h = harness(store, {}, clock);
  const [status, body] = await query(h, `host=${HOST}&name=cpu.usage_pct`);
  assert.equal(status, 200);
  assert.equal(body.from, new Date(NOW - 3_600_000).toISOString());
  assert.equal(body.to, new Date(NOW).toISOString());
  assert.equal(body.bucket, "10s");
  assert.equal(body.agg, "avg");
});

testOnStores(
  "query: auto picks the smallest bucket giving at most ~1000 points",
  async (store, clock) => {
    const h = harness(store, {}, clock);
    const cases: [number, string][] = [
      [60 * MIN, "10s"],
      [166 * MIN, "10s"],
      [6 * 60 * MIN, "1m"],
      [24 * 60 * MIN, "5m"],
      [7 * 24 * 60 * MIN, "15m"],
      [30 * 24 * 60 * MIN, "1h"],
    ];
    for (const [range, bucket] of cases) {
      const from = new Date(NOW - range).toISOString();
      const [status, body] = await query(
        h,
        `host=${HOST}&name=cpu.usage_pct&from=${from}&to=${
          new Date(NOW).toISOString()
        }&bucket=auto`,
      );
      assert.equal(status, 200, String(range));
      assert.equal(body.bucket, bucket, `range ${range / MIN} min`);
    }
  },
);

testOnStores("query: every bad parameter is a 400 naming it", async (store, clock) => {
  const h = harness(store, {}, clock);
  const base = `host=${HOST}&name=cpu.usage_pct`;
  const iso = (ms: number) => encodeURIComponent(new Date(ms).toISOString());
  const cases: [string, RegExp][] = [
    ["name=cpu.usage_pct", /^host is required/],
    [`host=${encodeURIComponent("a\u0001b")}&name=cpu.usage_pct`, /^host contains control/],
    [`host=${"h".repeat(256)}&name=cpu.usage_pct`, /^host is longer/],
    [`host=${HOST}`, /^name is required/],
    [`host=${HOST}&name=cpu.bogus`, /^name "cpu.bogus" is not an allowed/],
    [`${base}&from=yesterday`, /^from must be an ISO 8601/],
    [`${base}&to=2025-06-01`, /^to must be an ISO 8601/],
    [`${base}&from=${iso(NOW)}&to=${iso(NOW - MIN)}`, /^from must be earlier than to/],
    [`${base}&from=${iso(NOW)}&to=${iso(NOW)}`, /^from must be earlier than to/],
    [
      `${base}&from=${iso(NOW - 31 * 86_400_000)}`,
      /^from\.\.to spans more than the retention \(30d\)/,
    ],
    [`${base}&bucket=2m`, /^bucket must be auto or one of 10s, 1m, 5m, 15m, 1h, 1d/],
    [`${base}&from=${iso(NOW - 30 * 86_400_000)}&bucket=10s`, /^bucket 10s gives 259200 points/],
    [`${base}&agg=median`, /^agg must be one of avg, min, max, sum, last/],
    [`${base}&limit=5`, /^unknown parameter "limit"/],
    [`${base}&agg=avg&agg=max`, /^agg is given more than once/],
    [`${base}&label.=x`, /^label: label key is empty/],
    [`${base}&label.${"k".repeat(129)}=x`, /^label: label key is longer/],
    [`${base}&label.core=${"v".repeat(129)}`, /^label: label "core" is longer/],
    [`${base}&label.core=%00`, /^label: label "core" contains a NUL character/],
    [`${base}&label.k%00=v`, /^label: label key "k\\u0000" contains a NUL character/],
    [
      `${base}&${Array.from({ length: 17 }, (_, i) => `label.k${i}=v`).join("&")}`,
      /^label: more than 16 labels/,
    ],
  ];
  for (const [qs, message] of cases) {
    const [status, body] = await query(h, qs);
    assert.equal(status, 400, qs);
    assert.deepEqual(Object.keys(body), ["error"], qs);
    assert.match(String(body.error), message, qs);
  }
});

testOnStores("latest: newest value of every series; 400 for a bad host", async (store, clock) => {
  const h = harness(store, {}, clock);
  await seed(h);
  const token = await validToken("reader", "read", NOW);
  const res = await get(h, `/api/v1/metrics/latest?host=${HOST}`, token);
  assert.equal(res.status, 200);
  const body = await res.json() as { host: string; metrics: Record<string, unknown>[] };
  assert.equal(body.host, HOST);
  const cpu = body.metrics.filter((m) => m.name === "cpu.usage_pct");
  assert.equal(cpu.length, 3);
  const total = cpu.find((m) => (m.labels as Record<string, string>).core === "total")!;
  assert.equal(total.value, 10);
  assert.equal(Date.parse(String(total.time)), NOW - MIN + 5_000);
  const mem = body.metrics.find((m) => m.name === "mem.used_pct")!;
  assert.equal(mem.value, 20);
  assert.deepEqual(mem.labels, {});

  for (
    const [qs, message] of [["", /^host is required/], ["host=", /^host must be/], [
      "host=a&x=1",
      /^unknown parameter "x"/,
    ]] as const
  ) {
    const bad = await get(h, `/api/v1/metrics/latest?${qs}`, token);
    assert.equal(bad.status, 400, qs);
    assert.match(String((await bad.json() as { error: string }).error), message);
  }
  const empty = await get(h, "/api/v1/metrics/latest?host=nobody", token);
  assert.deepEqual(await empty.json(), { host: "nobody", metrics: [] });
});

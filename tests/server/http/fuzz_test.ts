/**
 * Fuzz-style ingest test: thousands of malformed bodies, generated from a seeded PRNG so a
 * failure is reproducible (the case number and seed are in the message), must all get a
 * 4xx answer and leave the database exactly as it was.
 */
import assert from "node:assert/strict";
import type { Db } from "../../../server/db/db.ts";
import type { MetricStore } from "../../../server/storage/metric_store.ts";
import { METRIC_NAMES } from "../../../shared/metric_names.ts";
import { batch, type Harness, harness, metric, NOW, postMetrics } from "./harness.ts";
import { testOnStores } from "./storage.ts";
import { validToken } from "./tokens.ts";

const SEED = 0x5eed_2025;
const CASES = 2400;
const HOST = "fuzz-host";
const MIB = 1024 * 1024;

/** mulberry32: a tiny seeded PRNG, enough to make cases reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;
const int = (r: Rng, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)];

interface Case {
  kind: string;
  body: BodyInit;
  headers?: Record<string, string>;
}

/** A valid metric of the fuzz host, the base every mutation starts from. */
function goodMetric(r: Rng): Record<string, unknown> {
  return {
    ...metric(HOST, pick(r, METRIC_NAMES), NOW - int(r, 3_600_000), r() * 100),
    labels: r() < 0.5 ? {} : { core: String(int(r, 8)) },
  };
}

function goodBatch(r: Rng, i: number): Record<string, unknown> {
  const n = 1 + int(r, 5);
  return { id: `fuzz-${i}`, host: HOST, metrics: Array.from({ length: n }, () => goodMetric(r)) };
}

/** A value of a type that is wrong for every field of the model. */
function wrongValue(r: Rng): unknown {
  return pick(r, [null, true, false, 0, -1, 3.5, [], [1, "a"], {}, { a: 1 }, ""] as unknown[]);
}

function deep(depth: number, open: string, close: string, inner = "1"): string {
  return open.repeat(depth) + inner + close.repeat(depth);
}

const generators: [string, (r: Rng, i: number) => Case][] = [
  ["invalid JSON", (r, i) => {
    const text = JSON.stringify(goodBatch(r, i));
    const cut = text.slice(0, int(r, text.length - 1));
    const junk = pick(r, ["", "}", "]", ",", "'", "{{", "\\", "\u0000"]);
    return { kind: "invalid JSON", body: cut + junk };
  }],
  ["random bytes", (r) => {
    const ascii = r() < 0.5;
    const bytes = new Uint8Array(1 + int(r, 200)).map(() =>
      ascii ? 0x20 + int(r, 95) : int(r, 256)
    );
    bytes[0] = 0x7b; // "{" so it looks like JSON for a moment
    return { kind: "random bytes", body: bytes };
  }],
  ["wrong top-level type", (r) => ({
    kind: "wrong top-level type",
    body: JSON.stringify(pick(r, [null, 1, "batch", [], [{}], true])),
  })],
  ["wrong field type", (r, i) => {
    const b = goodBatch(r, i);
    const field = pick(r, ["id", "host", "metrics", "metric"]);
    if (field === "metric") {
      const m = (b.metrics as Record<string, unknown>[])[0];
      const key = pick(r, ["time", "host", "name", "value", "labels", "labelValue"]);
      if (key === "labelValue") m.labels = { core: pick(r, [1, null, true, [], {}] as unknown[]) };
      else if (key === "labels") m.labels = pick(r, [null, "core", 1, ["a"], true] as unknown[]);
      else if (key === "value") m.value = pick(r, [null, "1", true, [], {}, "NaN"] as unknown[]);
      else m[key] = wrongValue(r);
    } else if (field === "metrics") {
      b.metrics = pick(r, [null, {}, "[]", 1, true] as unknown[]);
    } else {
      b[field] = wrongValue(r);
    }
    return { kind: `wrong type of ${field}`, body: JSON.stringify(b) };
  }],
  ["huge or non-finite number", (r, i) => {
    const b = goodBatch(r, i);
    (b.metrics as Record<string, unknown>[])[0].value = "__NUM__";
    const num = pick(r, ["1e400", "-1e400", "NaN", "Infinity", "-Infinity", "1e999999", "0x10"]);
    return { kind: `number ${num}`, body: JSON.stringify(b).replace('"__NUM__"', num) };
  }],
  ["deep nesting", (r, i) => {
    const where = pick(r, ["top", "metrics", "labels", "value", "object"]);
    const d = 10_000;
    let body: string;
    if (where === "top") body = deep(d, "[", "]");
    else if (where === "object") body = deep(d, '{"a":', "}");
    else if (where === "metrics") {
      body = `{"id":"fuzz-${i}","host":"${HOST}","metrics":${deep(d, "[", "]")}}`;
    } else {
      const nested = deep(d, '{"x":', "}");
      const value = where === "value" ? nested : "1";
      const labels = where === "labels" ? `{"core":${nested}}` : "{}";
      const time = new Date(NOW - 1000).toISOString();
      body = `{"id":"fuzz-${i}","host":"${HOST}","metrics":[{"time":"${time}",` +
        `"host":"${HOST}","name":"cpu.usage_pct","value":${value},"labels":${labels}}]}`;
    }
    return { kind: `deep nesting in ${where}`, body };
  }],
  ["bad UTF-8", (r, i) => {
    const text = JSON.stringify(goodBatch(r, i));
    const bytes = new TextEncoder().encode(text);
    const bad = pick(r, [[0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [
      0xf8,
      0x88,
      0x80,
      0x80,
    ]]);
    const at = 1 + int(r, bytes.length - 2);
    const out = new Uint8Array(bytes.length + bad.length);
    out.set(bytes.subarray(0, at));
    out.set(bad, at);
    out.set(bytes.subarray(at), at + bad.length);
    return { kind: "bad UTF-8", body: out };
  }],
  ["wrong host", (r, i) => {
    const b = goodBatch(r, i);
    const other = pick(r, ["other-host", "FUZZ-HOST", "fuzz-host ", "", "x".repeat(256), "a\nb"]);
    if (r() < 0.5) {
      b.host = other;
      for (const m of b.metrics as Record<string, unknown>[]) m.host = other;
    } else {
      (b.metrics as Record<string, unknown>[])[0].host = other;
    }
    return { kind: "wrong host", body: JSON.stringify(b) };
  }],
  ["unknown name", (r, i) => {
    const b = goodBatch(r, i);
    (b.metrics as Record<string, unknown>[])[0].name = pick(r, [
      "cpu.bogus",
      "CPU.USAGE_PCT",
      "",
      "cpu.usage_pct ",
      "mem.used_pct\u0000",
      "__proto__",
    ]);
    return { kind: "unknown name", body: JSON.stringify(b) };
  }],
  ["too many or too long labels", (r, i) => {
    const b = goodBatch(r, i);
    const m = (b.metrics as Record<string, unknown>[])[0];
    const what = int(r, 7);
    if (what === 0) {
      m.labels = Object.fromEntries(
        Array.from({ length: 17 + int(r, 50) }, (_, k) => [`k${k}`, "v"]),
      );
    } else if (what === 1) m.labels = { ["k".repeat(129)]: "v" };
    else if (what === 2) m.labels = { core: "v".repeat(129 + int(r, 1000)) };
    else if (what === 3) m.labels = { "": "v" };
    // Text jsonb cannot hold: NUL characters and lone surrogates, in keys and values.
    else if (what === 4) m.labels = { core: pick(r, ["a\u0000b", "\u0000", "x\ud800", "\udfff"]) };
    else if (what === 5) m.labels = { [pick(r, ["k\u0000", "\ud83d"])]: "v" };
    else m.labels = { core: pick(r, ["1", "2"]), mount: "/\ud800" };
    return { kind: "bad labels", body: JSON.stringify(b) };
  }],
  ["overflowing value", (r, i) => {
    const b = goodBatch(r, i);
    (b.metrics as Record<string, unknown>[])[0].value = pick(r, [1.7e308, -1.7e308, 1e301, 5e307]);
    return { kind: "overflowing value", body: JSON.stringify(b) };
  }],
  ["bad time", (r, i) => {
    const b = goodBatch(r, i);
    const m = (b.metrics as Record<string, unknown>[])[0];
    m.time = pick(r, [
      new Date(NOW + 11 * 60_000 + int(r, 1e9)).toISOString(),
      new Date(NOW - 31 * 86_400_000 - int(r, 1e9)).toISOString(),
      "2025-06-01",
      "2025-06-01T12:00:00",
      "2025-13-01T00:00:00Z",
      "now",
      "",
      "+275760-09-13T00:00:00.001Z",
    ]);
    return { kind: "bad time", body: JSON.stringify(b) };
  }],
  ["bad id", (r, i) => {
    const b = goodBatch(r, i);
    b.id = pick(r, ["", "a b", "x".repeat(129), "id/../x", "é", "id\n"]);
    return { kind: "bad id", body: JSON.stringify(b) };
  }],
  ["bad envelope", (r, i) => {
    const b = goodBatch(r, i);
    const what = int(r, 3);
    if (what === 0) delete b[pick(r, ["id", "host", "metrics"])];
    else if (what === 1) {
      b.metrics = Array.from({ length: 5001 }, () => (b.metrics as unknown[])[0]);
    } else (b.metrics as unknown[]).push(pick(r, [null, 1, "m", []] as unknown[]));
    return { kind: "bad envelope", body: JSON.stringify(b) };
  }],
  ["wrong content type or encoding", (r, i) => ({
    kind: "wrong content type or encoding",
    body: JSON.stringify(goodBatch(r, i)),
    headers: pick(r, [
      { "content-type": "text/plain" },
      { "content-type": "application/xml" },
      { "content-type": "" },
      { "content-type": "multipart/form-data; boundary=x" },
      { "content-encoding": "deflate" },
      { "content-encoding": "gzip" }, // claims gzip, sends plain text
      { "content-encoding": "gzip, gzip" },
    ]),
  })],
  ["bad agent version", (r, i) => ({
    kind: "bad agent version",
    body: JSON.stringify(goodBatch(r, i)),
    headers: { "x-agent-version": pick(r, ["v".repeat(65 + int(r, 100)), "1.0\u0007", "1\t0"]) },
  })],
];

/** Rare, expensive cases: bodies over the limit, streamed or decompressed. */
async function oversizeCases(r: Rng): Promise<Case[]> {
  const zeros = new Uint8Array(8 * MIB).fill(0x20);
  const bomb = new Uint8Array(
    await new Response(new Blob([zeros]).stream().pipeThrough(new CompressionStream("gzip")))
      .arrayBuffer(),
  );
  const cases: Case[] = [];
  for (let k = 0; k < 4; k++) {
    const size = 5 * MIB + 1 + int(r, MIB);
    cases.push({
      kind: "oversize stream",
      body: new Blob([new Uint8Array(size).fill(0x20)]).stream(),
    });
    cases.push({ kind: "gzip bomb", body: bomb, headers: { "content-encoding": "gzip" } });
  }
  return cases;
}

async function snapshot(store: MetricStore): Promise<unknown> {
  const hosts = (await store.hosts()).map((h) => ({ ...h, lastSeen: h.lastSeen.getTime() }))
    .sort((a, b) => a.host.localeCompare(b.host));
  const latest = await store.latest(HOST);
  const sortKey = (x: { name: string; labels: Record<string, string> }) =>
    x.name + JSON.stringify(x.labels);
  latest.sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
  const queries = [];
  for (const name of METRIC_NAMES) {
    const series = await store.query({
      host: HOST,
      name,
      from: new Date(NOW - 30 * 86_400_000),
      to: new Date(NOW + 3_600_000),
      bucket: "1d",
      agg: "sum",
      labels: {},
    });
    series.sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)));
    queries.push({ name, series });
  }
  return { hosts, latest, queries };
}

/** Row counts of every table the ingest path writes. */
async function rowCounts(db: Db): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of ["series", "metric_samples", "hosts", "ingested_batches"]) {
    const [{ n }] = await db.query<{ n: unknown }>(`SELECT count(*) AS n FROM ${table}`);
    out[table] = Number(n);
  }
  return out;
}

async function seedOne(h: Harness): Promise<void> {
  const token = await validToken(HOST, "ingest", NOW);
  const res = await postMetrics(
    h,
    batch("seed", HOST, [
      metric(HOST, "cpu.usage_pct", NOW - 60_000, 5, { core: "total" }),
      metric(HOST, "mem.used_pct", NOW - 60_000, 50),
    ]),
    token,
    { "x-agent-version": "0.1.0" },
  );
  assert.equal(res.status, 202);
  await res.body?.cancel();
}

testOnStores(
  `fuzz: ${CASES} malformed bodies get a 4xx and change nothing`,
  async (store, clock, db) => {
    const h = harness(store, {}, clock);
    await seedOne(h);
    const before = await snapshot(store);
    const rowsBefore = await rowCounts(db);
    // Later requests come after the seed's last_seen: any accidental write would move it.
    h.clock.now = NOW + 1000;
    const token = await validToken(HOST, "ingest", h.clock.now);
    const r = prng(SEED);
    const statuses = new Map<number, number>();
    const kinds = new Set<string>();
    const check = async (c: Case, label: string, generator: string) => {
      const res = await postMetrics(h, c.body, token, c.headers);
      const text = await res.text();
      assert.ok(
        res.status >= 400 && res.status < 500,
        `${label} (${c.kind}, seed ${SEED}) got ${res.status}: ${text.slice(0, 200)}`,
      );
      const body = JSON.parse(text);
      assert.equal(typeof body.error, "string", label);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      kinds.add(generator);
      if (Deno.env.get("FUZZ_DEBUG")) console.log(generator, "|", c.kind, res.status, body.error);
    };
    for (let i = 0; i < CASES; i++) {
      const [name, gen] = generators[i % generators.length];
      await check(gen(r, i), `case ${i}`, name);
    }
    for (const [k, c] of (await oversizeCases(r)).entries()) {
      await check(c, `oversize ${k}`, "oversize");
    }

    assert.deepEqual(await snapshot(store), before);
    // Below the API too: no stray series, batch ids, hosts or samples in any table.
    assert.deepEqual(await rowCounts(db), rowsBefore);
    assert.ok(statuses.has(400) && statuses.has(403) && statuses.has(413) && statuses.has(415));
    assert.equal(kinds.size, generators.length + 1);
  },
);

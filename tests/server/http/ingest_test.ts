/**
 * `POST /api/v1/metrics`: 202 after commit, duplicates, 403 for another host, and every
 * 4xx for a bad body (type, encoding, size, JSON, validation, time window, header).
 */
import assert from "node:assert/strict";
import { batch, get, harness, metric, NOW, postMetrics } from "./harness.ts";
import { testOnStores } from "./storage.ts";
import { validToken } from "./tokens.ts";

const HOST = "web-1";
const MIB = 1024 * 1024;

async function json(res: Response): Promise<Record<string, unknown>> {
  return await res.json() as Record<string, unknown>;
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A stream of `total` bytes of `fill` in 64 KiB chunks, with no Content-Length, counting reads. */
function byteStream(
  total: number,
  fill: number,
): { stream: ReadableStream<Uint8Array>; sent: () => number } {
  let sent = 0;
  const chunk = new Uint8Array(64 * 1024).fill(fill);
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close();
      const n = Math.min(chunk.byteLength, total - sent);
      sent += n;
      controller.enqueue(chunk.slice(0, n));
    },
  });
  return { stream, sent: () => sent };
}

testOnStores(
  "ingest: 202 with the row count, then visible through latest and hosts",
  async (store, clock) => {
    const h = harness(store, {}, clock);
    const token = await validToken(HOST, "ingest", NOW);
    const b = batch("batch-1", HOST, [
      metric(HOST, "cpu.usage_pct", NOW - 10_000, 12.5, { core: "total" }),
      metric(HOST, "mem.used_pct", NOW - 10_000, 40),
    ]);
    const res = await postMetrics(h, b, token, { "x-agent-version": "0.1.0" });
    assert.equal(res.status, 202);
    assert.deepEqual(await json(res), { ingested: 2 });
    assert.ok(res.headers.get("x-request-id"));
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);

    const read = await validToken("reader", "read", NOW);
    const latest = await json(await get(h, `/api/v1/metrics/latest?host=${HOST}`, read));
    assert.equal(latest.host, HOST);
    assert.equal((latest.metrics as unknown[]).length, 2);
    const hosts = await json(await get(h, "/api/v1/hosts", read));
    assert.deepEqual(hosts.hosts, [{
      host: HOST,
      last_seen: new Date(NOW).toISOString(),
      agent_version: "0.1.0",
      status: "up",
    }]);
  },
);

testOnStores(
  "ingest: a retried batch id is a 202 duplicate and stores nothing twice",
  async (store, clock) => {
    const h = harness(store, {}, clock);
    const token = await validToken(HOST, "ingest", NOW);
    const b = batch("batch-dup", HOST, [metric(HOST, "system.load1", NOW - 5000, 1.5)]);
    assert.deepEqual(await json(await postMetrics(h, b, token)), { ingested: 1 });
    const again = await postMetrics(h, b, token);
    assert.equal(again.status, 202);
    assert.deepEqual(await json(again), { ingested: 0, duplicate: true });
    const read = await validToken("reader", "read", NOW);
    const q = await json(
      await get(h, `/api/v1/metrics/query?host=${HOST}&name=system.load1&agg=sum`, read),
    );
    const series = q.series as { points: { value: number }[] }[];
    assert.equal(series.length, 1);
    assert.deepEqual(series[0].points.map((p) => p.value), [1.5]);
  },
);

testOnStores(
  "ingest: a batch for another host than the token's sub is a 403",
  async (store, clock) => {
    const h = harness(store, {}, clock);
    for (const scope of ["ingest", "admin"]) {
      const token = await validToken("web-2", scope, NOW);
      const res = await postMetrics(
        h,
        batch("b", HOST, [metric(HOST, "cpu.usage_pct", NOW, 1)]),
        token,
      );
      assert.equal(res.status, 403, scope);
      assert.deepEqual(await json(res), { error: "batch host does not match the token subject" });
    }
    assert.deepEqual(await store.hosts(), []);
  },
);

testOnStores("ingest: content type, encoding and JSON errors", async (store, clock) => {
  const h = harness(store, {}, clock);
  const token = await validToken(HOST, "ingest", NOW);
  const good = JSON.stringify(batch("b", HOST, [metric(HOST, "cpu.usage_pct", NOW, 1)]));
  const cases: [string, BodyInit, Record<string, string>, number, RegExp][] = [
    ["text/plain", good, { "content-type": "text/plain" }, 415, /Content-Type/],
    ["form", good, { "content-type": "application/x-www-form-urlencoded" }, 415, /Content-Type/],
    ["json-ish", good, { "content-type": "application/jsonp" }, 415, /Content-Type/],
    ["br encoding", good, { "content-encoding": "br" }, 415, /Content-Encoding/],
    ["invalid JSON", "{", {}, 400, /not valid JSON/],
    ["empty body", "", {}, 400, /empty/],
    ["bad UTF-8", new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), {}, 400, /UTF-8/],
    ["bad gzip", new TextEncoder().encode(good), { "content-encoding": "gzip" }, 400, /gzip/],
    ["not an object", "[1,2]", {}, 400, /batch must be a JSON object/],
    ["bad agent version", good, { "x-agent-version": "v".repeat(65) }, 400, /X-Agent-Version/],
    ["control char version", good, { "x-agent-version": "1.0\t2" }, 400, /X-Agent-Version/],
  ];
  for (const [why, body, headers, status, message] of cases) {
    const res = await postMetrics(h, body, token, headers);
    assert.equal(res.status, status, why);
    const b = await json(res);
    assert.deepEqual(Object.keys(b), ["error"], why);
    assert.match(String(b.error), message, why);
  }
  // Media type parameters are fine.
  const ok = await postMetrics(h, good, token, {
    "content-type": "application/json; charset=utf-8",
  });
  assert.equal(ok.status, 202);
  await ok.body?.cancel();
});

testOnStores("ingest: validation errors name the metric index", async (store, clock) => {
  const h = harness(store, {}, clock);
  const token = await validToken(HOST, "ingest", NOW);
  const m = metric(HOST, "cpu.usage_pct", NOW - 1000, 1);
  const cases: [string, unknown, RegExp][] = [
    [
      "unknown name",
      { id: "b", host: HOST, metrics: [m, { ...m, name: "cpu.bogus" }] },
      /^metrics\[1\]: name/,
    ],
    [
      "string value",
      { id: "b", host: HOST, metrics: [{ ...m, value: "1" }] },
      /^metrics\[0\]: value/,
    ],
    ["missing id", { host: HOST, metrics: [m] }, /^id /],
    [
      "bad time",
      { id: "b", host: HOST, metrics: [{ ...m, time: "yesterday" }] },
      /^metrics\[0\]: time/,
    ],
    [
      "too many labels",
      {
        id: "b",
        host: HOST,
        metrics: [{
          ...m,
          labels: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])),
        }],
      },
      /^metrics\[0\]: more than 16 labels/,
    ],
  ];
  for (const [why, body, message] of cases) {
    const res = await postMetrics(h, body, token);
    assert.equal(res.status, 400, why);
    assert.match(String((await json(res)).error), message, why);
  }
  assert.deepEqual(await store.hosts(), []);
});

testOnStores(
  "ingest: samples too far in the future or older than the retention are a 400",
  async (store, clock) => {
    const h = harness(store, {}, clock);
    const token = await validToken(HOST, "ingest", NOW);
    const ok = metric(HOST, "cpu.usage_pct", NOW, 1);
    const future = metric(HOST, "cpu.usage_pct", NOW + 10 * 60_000 + 1000, 1);
    const old = metric(HOST, "cpu.usage_pct", NOW - 31 * 86_400_000, 1);
    let res = await postMetrics(h, batch("f", HOST, [ok, ok, future]), token);
    assert.equal(res.status, 400);
    assert.match(String((await json(res)).error), /^metrics\[2\]: .* in the future/);
    res = await postMetrics(h, batch("o", HOST, [ok, old]), token);
    assert.equal(res.status, 400);
    assert.match(
      String((await json(res)).error),
      /^metrics\[1\]: .* older than the retention \(30d\)/,
    );
    // Just inside both edges is accepted.
    const edges = [
      metric(HOST, "cpu.usage_pct", NOW + 9 * 60_000, 1),
      metric(HOST, "cpu.usage_pct", NOW - 29 * 86_400_000, 1),
    ];
    res = await postMetrics(h, batch("edges", HOST, edges), token);
    assert.equal(res.status, 202);
    assert.deepEqual(await json(res), { ingested: 2 });
  },
);

testOnStores("ingest: gzip bodies are accepted", async (store, clock) => {
  const h = harness(store, {}, clock);
  const token = await validToken(HOST, "ingest", NOW);
  const body = JSON.stringify(batch("gz", HOST, [metric(HOST, "net.bytes_in", NOW - 1000, 123)]));
  const res = await postMetrics(h, await gzip(new TextEncoder().encode(body)), token, {
    "content-encoding": "gzip",
  });
  assert.equal(res.status, 202);
  assert.deepEqual(await json(res), { ingested: 1 });
});

testOnStores(
  "ingest: a Content-Length over 5 MiB is refused at once with 413",
  async (store, clock) => {
    const h = harness(store, {}, clock);
    const token = await validToken(HOST, "ingest", NOW);
    const { stream, sent } = byteStream(6 * MIB, 0x20);
    const res = await h.app.request("/api/v1/metrics", {
      method: "POST",
      body: stream,
      headers: {
        "content-type": "application/json",
        "content-length": String(6 * MIB),
        authorization: `Bearer ${token}`,
      },
    });
    assert.equal(res.status, 413);
    assert.match(String((await json(res)).error), /larger than 5242880 bytes/);
    assert.ok(sent() < 1 * MIB, `read ${sent()} bytes before refusing`);
  },
);

testOnStores(
  "ingest: a streamed body past 5 MiB without Content-Length is a 413",
  async (store, clock) => {
    const h = harness(store, {}, clock);
    const token = await validToken(HOST, "ingest", NOW);
    const { stream, sent } = byteStream(64 * MIB, 0x20);
    const res = await postMetrics(h, stream, token);
    assert.equal(res.status, 413);
    assert.deepEqual(Object.keys(await json(res)), ["error"]);
    // The read stopped soon after the limit rather than draining 64 MiB.
    assert.ok(sent() <= 6 * MIB, `read ${sent()} bytes`);
    assert.deepEqual(await store.hosts(), []);
  },
);

testOnStores("ingest: a gzip bomb stops at 5 MiB decompressed with 413", async (store, clock) => {
  const h = harness(store, {}, clock);
  const token = await validToken(HOST, "ingest", NOW);
  const bomb = await gzip(new Uint8Array(64 * MIB).fill(0x20));
  assert.ok(bomb.byteLength < MIB);
  const res = await postMetrics(h, bomb, token, { "content-encoding": "gzip" });
  assert.equal(res.status, 413);
  assert.match(String((await json(res)).error), /decompressed body is larger than/);
  assert.deepEqual(await store.hosts(), []);
});

testOnStores("ingest: a compressed body itself over 5 MiB is a 413", async (store, clock) => {
  const h = harness(store, {}, clock);
  const token = await validToken(HOST, "ingest", NOW);
  // Incompressible bytes: the gzip stream is larger than its content, so the wire limit trips.
  const noise = new Uint8Array(6 * MIB);
  let x = 0x12345678;
  for (let i = 0; i < noise.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    noise[i] = x & 0xff;
  }
  const compressed = await gzip(noise);
  assert.ok(compressed.byteLength > 5 * MIB);
  const stream = new Blob([compressed as BlobPart]).stream();
  const res = await postMetrics(h, stream, token, { "content-encoding": "gzip" });
  assert.equal(res.status, 413);
  assert.match(String((await json(res)).error), /^body is larger than/);
});

testOnStores(
  "ingest: a body of exactly 5 MiB is read (then judged as JSON)",
  async (store, clock) => {
    const h = harness(store, {}, clock);
    const token = await validToken(HOST, "ingest", NOW);
    const b = JSON.stringify(batch("big", HOST, [metric(HOST, "cpu.usage_pct", NOW, 1)]));
    const padded = b + " ".repeat(5 * MIB - b.length);
    const res = await postMetrics(h, padded, token);
    assert.equal(res.status, 202);
    const over = await postMetrics(h, padded + " ", token);
    assert.equal(over.status, 413);
    await res.body?.cancel();
    await over.body?.cancel();
  },
);

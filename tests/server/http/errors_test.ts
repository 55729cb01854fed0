/**
 * Health endpoints and the error shapes: 404, 405 with `Allow`, 500 with a request id
 * (stack in the log only), 503 on timeout and readiness failure, `X-Request-Id` always.
 */
import assert from "node:assert/strict";
import type { MetricStore } from "../../../server/storage/metric_store.ts";
import { batch, get, harness, metric, NOW, postMetrics } from "./harness.ts";
import { testOnStores } from "./storage.ts";
import { validToken } from "./tokens.ts";

/** A store whose every method throws (or rejects with a non-Error value). */
function failingStore(thrown: unknown): MetricStore {
  const fail = () => Promise.reject(thrown);
  return { ingest: fail, query: fail, latest: fail, hosts: fail, ping: fail };
}

/** A store whose every method never settles. */
function hangingStore(): MetricStore {
  const hang = () => new Promise<never>(() => {});
  return { ingest: hang, query: hang, latest: hang, hosts: hang, ping: hang };
}

testOnStores(
  "healthz is 200 without auth; readyz is 200 when the store answers",
  async (store, clock) => {
    const h = harness(store, {}, clock);
    let res = await get(h, "/healthz");
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: "ok" });
    assert.equal(res.headers.get("x-request-id"), "req-1");
    res = await get(h, "/readyz");
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: "ok" });
    assert.equal(res.headers.get("x-request-id"), "req-2");
  },
);

Deno.test("healthz stays 200 when the database is down", async () => {
  const h = harness(failingStore(new Error("connection refused")));
  const res = await get(h, "/healthz");
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { status: "ok" });
});

Deno.test("readyz is 503 when ping fails, without the database's message", async () => {
  const h = harness(failingStore(new Error("password authentication failed for user x")));
  const res = await get(h, "/readyz");
  assert.equal(res.status, 503);
  assert.deepEqual(await res.json(), { status: "unavailable", error: "database unavailable" });
  assert.ok(h.logs.some((l) => /password authentication failed/.test(String(l.error))));
});

Deno.test("readyz is 503 when ping does not answer in time", async () => {
  const h = harness(hangingStore(), { readyTimeoutMs: 10 });
  const res = await get(h, "/readyz");
  assert.equal(res.status, 503);
  assert.deepEqual(await res.json(), {
    status: "unavailable",
    error: "database did not answer in time",
  });
});

testOnStores("unknown routes are a JSON 404", async (store, clock) => {
  const h = harness(store, {}, clock);
  for (const path of ["/", "/nope", "/api/v1/metric", "/api/v1/metrics/", "/api/v2/hosts"]) {
    const res = await get(h, path);
    assert.equal(res.status, 404, path);
    assert.deepEqual(await res.json(), { error: "not found" });
    assert.ok(res.headers.get("x-request-id"));
  }
});

testOnStores("a known path with a wrong method is a JSON 405 with Allow", async (store, clock) => {
  const h = harness(store, {}, clock);
  const cases: [string, string, string][] = [
    ["GET", "/api/v1/metrics", "POST"],
    ["PUT", "/api/v1/metrics", "POST"],
    ["DELETE", "/api/v1/hosts", "GET, HEAD"],
    ["POST", "/api/v1/metrics/query", "GET, HEAD"],
    ["POST", "/api/v1/metrics/latest", "GET, HEAD"],
    ["POST", "/healthz", "GET, HEAD"],
    ["PATCH", "/readyz", "GET, HEAD"],
  ];
  for (const [method, path, allow] of cases) {
    const res = await h.app.request(path, { method });
    assert.equal(res.status, 405, `${method} ${path}`);
    assert.equal(res.headers.get("allow"), allow, `${method} ${path}`);
    assert.deepEqual(await res.json(), { error: `method ${method} not allowed` });
    assert.ok(res.headers.get("x-request-id"));
  }
});

for (const [kind, thrown] of [["an Error", new Error("boom")], ["a string", "boom"]] as const) {
  Deno.test(`a store throwing ${kind} is a 500 with the request id, stack only in the log`, async () => {
    const h = harness(failingStore(thrown));
    const read = await validToken("reader", "read", NOW);
    const ingest = await validToken("web-1", "ingest", NOW);
    const responses = [
      await get(h, "/api/v1/hosts", read),
      await get(h, "/api/v1/metrics/latest?host=web-1", read),
      await get(h, "/api/v1/metrics/query?host=web-1&name=cpu.usage_pct", read),
      await postMetrics(h, batch("b", "web-1", [metric("web-1", "cpu.usage_pct", NOW, 1)]), ingest),
    ];
    for (const res of responses) {
      assert.equal(res.status, 500);
      const id = res.headers.get("x-request-id");
      assert.ok(id);
      const text = await res.text();
      assert.deepEqual(JSON.parse(text), { error: "internal error", request_id: id });
      assert.doesNotMatch(text, /boom|at |\.ts/);
      const line = h.logs.find((l) => l.level === "error" && l.request_id === id);
      assert.ok(line, `log line for ${id}`);
      assert.equal(line.error, "boom");
      if (thrown instanceof Error) assert.match(String(line.stack), /boom/);
    }
  });
}

Deno.test("a request over REQUEST_TIMEOUT is a 503 JSON with a request id", async () => {
  const h = harness(hangingStore(), { requestTimeoutMs: 20 });
  const res = await get(h, "/api/v1/hosts", await validToken("reader", "read", NOW));
  assert.equal(res.status, 503);
  assert.deepEqual(await res.json(), { error: "request timed out" });
  assert.ok(res.headers.get("x-request-id"));
  assert.ok(h.logs.some((l) => l.msg === "request timed out"));
});

testOnStores("every response carries a distinct X-Request-Id", async (store, clock) => {
  const h = harness(store, {}, clock);
  const ids = new Set<string>();
  for (const path of ["/healthz", "/readyz", "/nope", "/api/v1/hosts"]) {
    const res = await get(h, path);
    ids.add(res.headers.get("x-request-id") ?? "");
    await res.body?.cancel();
  }
  assert.deepEqual([...ids], ["req-1", "req-2", "req-3", "req-4"]);
});

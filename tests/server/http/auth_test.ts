/**
 * Authentication: every refusal (bad algorithm, signature, claims, scope, header) is a
 * 401 with the identical body and writes nothing; the right scopes pass.
 */
import assert from "node:assert/strict";
import { batch, get, harness, metric, NOW, postMetrics } from "./harness.ts";
import { testOnStores } from "./storage.ts";
import { b64url, handToken, TEST_SECRET, validToken } from "./tokens.ts";

const HOST = "auth-host";
const nowS = Math.floor(NOW / 1000);

/** Every `Authorization` value (null: none) that must be refused, for every route. */
async function badCredentials(scope: string): Promise<[string, string | null][]> {
  const claims = { iss: "miniobserv", sub: HOST, scope, iat: nowS, exp: nowS + 600 };
  const hs = { alg: "HS256", typ: "JWT" };
  const valid = await handToken(hs, claims);
  const [vh, vp, vs] = valid.split(".");
  const none = b64url(JSON.stringify({ alg: "none", typ: "JWT" }));
  const signed = async (payload: Record<string, unknown>, header = hs, secret = TEST_SECRET) =>
    `Bearer ${await handToken(header, payload, secret)}`;
  return [
    ["missing header", null],
    ["alg none, no signature", `Bearer ${none}.${vp}.`],
    ["alg none, HS256 signature kept", `Bearer ${none}.${vp}.${vs}`],
    ["wrong secret", await signed(claims, hs, "another-secret-0123456789-abcdefghijk")],
    ["expired", await signed({ ...claims, iat: nowS - 700, exp: nowS - 100 })],
    ["no exp", await signed({ ...claims, exp: undefined })],
    ["lifetime over 24 h", await signed({ ...claims, exp: nowS + 24 * 3600 + 60 })],
    ["no iat, exp beyond 24 h", await signed({ ...claims, iat: undefined, exp: nowS + 90_000 })],
    ["RS256 header signed with the secret", await signed(claims, { alg: "RS256", typ: "JWT" })],
    ["HS512 header", await signed(claims, { alg: "HS512", typ: "JWT" })],
    ["unknown scope", await signed({ ...claims, scope: "root" })],
    ["no sub", await signed({ ...claims, sub: undefined })],
    ["issued in the future", await signed({ ...claims, iat: nowS + 3600, exp: nowS + 3700 })],
    ["tampered payload", `Bearer ${vh}.${b64url(JSON.stringify({ ...claims, sub: "x" }))}.${vs}`],
    ["garbage", "Bearer garbage"],
    ["three garbage parts", "Bearer a.b.c"],
    ["non-base64 header part", "Bearer %%%.e30.sig"],
    ["Basic scheme", `Basic ${btoa("user:pass")}`],
    ["token without scheme", valid],
    ["empty bearer", "Bearer "],
    ["huge header", `Bearer ${"a".repeat(10_000)}`],
  ];
}

async function request(
  h: ReturnType<typeof harness>,
  route: "ingest" | "query" | "latest" | "hosts",
  authorization: string | null,
): Promise<Response> {
  const headers: Record<string, string> = authorization === null ? {} : { authorization };
  if (route === "ingest") {
    return await h.app.request("/api/v1/metrics", {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify(batch("b-auth", HOST, [metric(HOST, "cpu.usage_pct", NOW - 1000, 1)])),
    });
  }
  const path = route === "query"
    ? `/api/v1/metrics/query?host=${HOST}&name=cpu.usage_pct`
    : route === "latest"
    ? `/api/v1/metrics/latest?host=${HOST}`
    : "/api/v1/hosts";
  return await h.app.request(path, { headers });
}

testOnStores(
  "auth: every bad credential is a 401 with the same body, nothing stored",
  async (store, clock) => {
    const h = harness(store, {}, clock);
    for (const route of ["ingest", "query", "latest", "hosts"] as const) {
      const cases = await badCredentials(route === "ingest" ? "ingest" : "read");
      for (const [why, authorization] of cases) {
        const res = await request(h, route, authorization);
        assert.equal(res.status, 401, `${route}: ${why}`);
        assert.deepEqual(await res.json(), { error: "unauthorized" }, `${route}: ${why}`);
        assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="miniobserv"');
        assert.ok(res.headers.get("x-request-id"), `${route}: ${why}: request id`);
      }
    }
    assert.deepEqual(await store.hosts(), []);
    // The reason is logged (never answered).
    const reasons = h.logs.filter((l) => l.msg === "request refused: unauthorized").map((l) =>
      l.reason
    );
    assert.ok(reasons.includes("expired"));
    assert.ok(reasons.includes("exp missing"));
    assert.ok(reasons.some((r) => /algorithm none refused/.test(String(r))));
    assert.ok(reasons.some((r) => /algorithm RS256 refused/.test(String(r))));
  },
);

testOnStores("auth: wrong scope is a 401 with the same body", async (store, clock) => {
  const h = harness(store, {}, clock);
  const read = `Bearer ${await validToken(HOST, "read", NOW)}`;
  const ingest = `Bearer ${await validToken(HOST, "ingest", NOW)}`;
  const cases: [string, "ingest" | "query" | "latest" | "hosts", string][] = [
    ["read token posting", "ingest", read],
    ["ingest token querying", "query", ingest],
    ["ingest token reading latest", "latest", ingest],
    ["ingest token listing hosts", "hosts", ingest],
  ];
  for (const [why, route, auth] of cases) {
    const res = await request(h, route, auth);
    assert.equal(res.status, 401, why);
    assert.deepEqual(await res.json(), { error: "unauthorized" }, why);
  }
  assert.deepEqual(await store.hosts(), []);
  assert.ok(h.logs.some((l) => l.reason === "scope read may not ingest"));
  assert.ok(h.logs.some((l) => l.reason === "scope ingest may not read"));
});

testOnStores("auth: ingest writes, read reads, admin does both", async (store, clock) => {
  const h = harness(store, {}, clock);
  const ingest = await validToken(HOST, "ingest", NOW);
  const read = await validToken("reader", "read", NOW);
  const admin = await validToken(HOST, "admin", NOW);
  const b1 = batch("b-1", HOST, [metric(HOST, "cpu.usage_pct", NOW - 1000, 1)]);
  const b2 = batch("b-2", HOST, [metric(HOST, "cpu.usage_pct", NOW - 2000, 2)]);
  assert.equal((await postMetrics(h, b1, ingest)).status, 202);
  assert.equal((await postMetrics(h, b2, admin)).status, 202);
  for (const token of [read, admin]) {
    for (const route of ["query", "latest", "hosts"] as const) {
      const res = await request(h, route, `Bearer ${token}`);
      assert.equal(res.status, 200, route);
      await res.body?.cancel();
    }
  }
  // A lowercase scheme is accepted (RFC 6750 schemes are case-insensitive).
  const res = await get(h, "/api/v1/hosts", null);
  assert.equal(res.status, 401);
  await res.body?.cancel();
  const lower = await h.app.request("/api/v1/hosts", {
    headers: { authorization: `bearer ${read}` },
  });
  assert.equal(lower.status, 200);
  await lower.body?.cancel();
});

testOnStores("auth: a token at exactly 24 h lifetime is accepted", async (store, clock) => {
  const h = harness(store, {}, clock);
  const token = await validToken("reader", "read", NOW, 24 * 3600);
  const res = await get(h, "/api/v1/hosts", token);
  assert.equal(res.status, 200);
  await res.body?.cancel();
  assert.equal(TEST_SECRET.length >= 32, true);
});

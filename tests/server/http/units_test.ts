/**
 * The pure pieces behind the routes: bucket choice, host status, agent version, bearer
 * parsing and scope grants.
 */
import assert from "node:assert/strict";
import { parseBearer } from "../../../server/auth/bearer.ts";
import { scopeAllows } from "../../../server/auth/scopes.ts";
import { parseAgentVersion } from "../../../server/http/agent_version.ts";
import { chooseBucket, pointsFor } from "../../../server/http/bucket_choice.ts";
import { hostStatus } from "../../../server/http/host_status.ts";
import { isJsonContentType } from "../../../server/http/body_reader.ts";

const H = 3_600_000;

Deno.test("chooseBucket: smallest bucket with at most 1000 points, 1d beyond", () => {
  assert.equal(chooseBucket(1000), "10s");
  assert.equal(chooseBucket(10_000 * 1000), "10s"); // exactly 1000 points
  assert.equal(chooseBucket(10_000 * 1000 + 1), "1m");
  assert.equal(chooseBucket(24 * H), "5m");
  assert.equal(chooseBucket(10 * 24 * H), "15m");
  assert.equal(chooseBucket(30 * 24 * H), "1h");
  assert.equal(chooseBucket(365 * 24 * H), "1d");
  assert.equal(chooseBucket(5000 * 24 * H), "1d");
  assert.equal(pointsFor(H, "1m"), 60);
});

Deno.test("hostStatus: boundaries are inclusive of the earlier state", () => {
  const t = { staleAfterMs: 30_000, downAfterMs: 60_000 };
  assert.equal(hostStatus(1000, 1000, t), "up");
  assert.equal(hostStatus(0, 30_000, t), "up");
  assert.equal(hostStatus(0, 30_001, t), "stale");
  assert.equal(hostStatus(0, 60_000, t), "stale");
  assert.equal(hostStatus(0, 60_001, t), "down");
  assert.equal(hostStatus(5000, 0, t), "up"); // seen "in the future": clock skew
});

Deno.test("parseAgentVersion: 1-64 printable ASCII, absent or blank is null", () => {
  assert.deepEqual(parseAgentVersion(null), { ok: true, value: null });
  assert.deepEqual(parseAgentVersion("  "), { ok: true, value: null });
  assert.deepEqual(parseAgentVersion(" 0.1.0 "), { ok: true, value: "0.1.0" });
  assert.deepEqual(parseAgentVersion("v".repeat(64)), { ok: true, value: "v".repeat(64) });
  assert.deepEqual(parseAgentVersion("0.1.0 (linux x86_64)").ok, true);
  for (const bad of ["v".repeat(65), "1.0\u0000", "1\t0", "versión"]) {
    assert.equal(parseAgentVersion(bad).ok, false, bad);
  }
});

Deno.test("parseBearer: scheme case-insensitive, one token", () => {
  assert.deepEqual(parseBearer("Bearer a.b.c"), { ok: true, token: "a.b.c" });
  assert.deepEqual(parseBearer("bearer a.b.c"), { ok: true, token: "a.b.c" });
  for (
    const bad of [
      null,
      undefined,
      "",
      "Bearer",
      "Bearer ",
      "Token a.b.c",
      "Bearer a b",
      "Bearer a,b",
    ]
  ) {
    assert.equal(parseBearer(bad).ok, false, String(bad));
  }
  assert.equal(parseBearer(`Bearer ${"a".repeat(5000)}`).ok, false);
});

Deno.test("scopeAllows: ingest writes, read reads, admin both", () => {
  assert.equal(scopeAllows("ingest", "ingest"), true);
  assert.equal(scopeAllows("ingest", "read"), false);
  assert.equal(scopeAllows("read", "read"), true);
  assert.equal(scopeAllows("read", "ingest"), false);
  assert.equal(scopeAllows("admin", "ingest"), true);
  assert.equal(scopeAllows("admin", "read"), true);
});

Deno.test("isJsonContentType: application/json with parameters only", () => {
  assert.equal(isJsonContentType("application/json"), true);
  assert.equal(isJsonContentType("Application/JSON; charset=utf-8"), true);
  for (const bad of [null, "", "text/json", "application/json-seq", "application/jsonx"]) {
    assert.equal(isJsonContentType(bad), false, String(bad));
  }
});

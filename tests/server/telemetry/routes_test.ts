import assert from "node:assert/strict";
import { PROMETHEUS_CONTENT_TYPE } from "../../../shared/telemetry/registry.ts";
import { validToken } from "../http/tokens.ts";
import { instrumentedApp, NOW, quietTelemetry } from "./helpers.ts";

const auth = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

Deno.test("GET /metrics: needs a read (or admin) token; ingest tokens and no token get 401", async () => {
  const app = instrumentedApp({ telemetry: quietTelemetry() });
  const none = await app.request("/metrics");
  assert.equal(none.status, 401);
  assert.deepEqual(await none.json(), { error: "unauthorized" });
  assert.equal(
    (await app.request("/metrics", auth(await validToken("web-1", "ingest", NOW)))).status,
    401,
  );
  assert.equal(
    (await app.request("/metrics", auth(await validToken("x", "read", NOW - 3_600_000, 60))))
      .status,
    401,
    "expired",
  );
  for (const scope of ["read", "admin"]) {
    const res = await app.request("/metrics", auth(await validToken("prom", scope, NOW)));
    assert.equal(res.status, 200, scope);
    assert.equal(res.headers.get("content-type"), PROMETHEUS_CONTENT_TYPE);
    assert.match(await res.text(), /^# TYPE miniobserv_http_requests_total counter$/m);
  }
});

Deno.test("GET /metrics with METRICS_PUBLIC=true: no token needed", async () => {
  const app = instrumentedApp({ telemetry: quietTelemetry(), metricsPublic: true });
  const res = await app.request("/metrics");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  assert.match(await res.text(), /^miniobserv_build_info\{/m);
});

Deno.test("GET /api/v1/self: always needs a read token, even with METRICS_PUBLIC", async () => {
  const app = instrumentedApp({ telemetry: quietTelemetry(), metricsPublic: true });
  assert.equal((await app.request("/api/v1/self")).status, 401);
  const res = await app.request("/api/v1/self", auth(await validToken("cli", "read", NOW)));
  assert.equal(res.status, 200);
  const report = await res.json();
  assert.equal(report.program, "server");
  assert.equal(report.version, "0.1.0");
  for (const key of ["metrics", "snapshots", "analysis", "advice", "peaks", "current"]) {
    assert.ok(key in report, key);
  }
});

Deno.test("GET /api/v1/self?snapshots=N: limits the snapshots; bad values are 400", async () => {
  const telemetry = quietTelemetry();
  for (let i = 0; i < 5; i++) await telemetry.monitor.snapshot();
  const app = instrumentedApp({ telemetry });
  const token = await validToken("cli", "read", NOW);
  const two = await (await app.request("/api/v1/self?snapshots=2", auth(token))).json();
  assert.equal(two.snapshots.length, 2);
  assert.equal(two.snapshotsTotal, 5);
  const none = await (await app.request("/api/v1/self?snapshots=0", auth(token))).json();
  assert.equal(none.snapshots.length, 0);
  for (const bad of ["-1", "x", "1.5", "99999999"]) {
    const res = await app.request(`/api/v1/self?snapshots=${bad}`, auth(token));
    assert.equal(res.status, 400, bad);
    assert.match((await res.json()).error, /snapshots must be a whole number/);
  }
});

import assert from "node:assert/strict";
import { Hono } from "hono";
import { createRegistry } from "../../../shared/telemetry/registry.ts";
import { httpMetrics, UNMATCHED_ROUTE } from "../../../server/telemetry/http_metrics.ts";
import { createServerMetrics } from "../../../server/telemetry/server_metrics.ts";
import { instrumentedApp, quietTelemetry, sampleValue } from "./helpers.ts";

function small() {
  const registry = createRegistry();
  const m = createServerMetrics(registry);
  let clock = 0;
  const app = new Hono();
  app.use(httpMetrics(m, () => clock));
  app.get("/api/v1/hosts/:host", (c) => {
    clock += 25;
    return c.json({ host: c.req.param("host") });
  });
  const sub = new Hono();
  sub.get("/items/:id", (c) => c.text("ok"));
  app.route("/api/sub", sub);
  app.get("/boom", () => {
    throw new Error("boom");
  });
  app.onError((_e, c) => c.json({ error: "internal error" }, 500));
  return { registry, app };
}

Deno.test("httpMetrics: labels the matched route pattern, never the raw path", async () => {
  const { registry, app } = small();
  await app.request("/api/v1/hosts/web-1");
  await app.request("/api/v1/hosts/web-2");
  await app.request("/api/sub/items/42");
  const text = await registry.metrics();
  assert.equal(
    sampleValue(
      text,
      'miniobserv_http_requests_total{method="GET",route="/api/v1/hosts/:host",status="200"}',
    ),
    2,
  );
  assert.equal(
    sampleValue(
      text,
      'miniobserv_http_requests_total{method="GET",route="/api/sub/items/:id",status="200"}',
    ),
    1,
  );
  assert.doesNotMatch(text, /web-1|items\/42/);
});

Deno.test("httpMetrics: durations from the injected clock, in seconds", async () => {
  const { registry, app } = small();
  await app.request("/api/v1/hosts/a");
  const text = await registry.metrics();
  const series = 'method="GET",route="/api/v1/hosts/:host"';
  assert.equal(sampleValue(text, `miniobserv_http_request_duration_seconds_sum{${series}}`), 0.025);
  assert.equal(sampleValue(text, `miniobserv_http_request_duration_seconds_count{${series}}`), 1);
  assert.equal(
    sampleValue(text, `miniobserv_http_request_duration_seconds_bucket{le="0.025",${series}}`),
    1,
  );
});

Deno.test("httpMetrics: unknown paths are one 'unmatched' series; errors are 500; odd methods 'other'", async () => {
  const { registry, app } = small();
  for (const p of ["/a", "/b/c", "/../etc/passwd"]) await app.request(p);
  await app.request("/boom");
  await app.request("/api/v1/hosts/x", { method: "PROPFIND" });
  const text = await registry.metrics();
  assert.equal(
    sampleValue(
      text,
      `miniobserv_http_requests_total{method="GET",route="${UNMATCHED_ROUTE}",status="404"}`,
    ),
    3,
  );
  assert.equal(
    sampleValue(text, 'miniobserv_http_requests_total{method="GET",route="/boom",status="500"}'),
    1,
  );
  assert.equal(
    sampleValue(
      text,
      `miniobserv_http_requests_total{method="other",route="${UNMATCHED_ROUTE}",status="404"}`,
    ),
    1,
  );
});

Deno.test("httpMetrics in the real app: 401, 405 and health answers are counted as the client saw them", async () => {
  const telemetry = quietTelemetry();
  const app = instrumentedApp({ telemetry });
  assert.equal((await app.request("/healthz")).status, 200);
  assert.equal((await app.request("/api/v1/hosts")).status, 401);
  assert.equal((await app.request("/api/v1/hosts", { method: "DELETE" })).status, 405);
  const text = await telemetry.registry.metrics();
  assert.equal(
    sampleValue(text, 'miniobserv_http_requests_total{method="GET",route="/healthz",status="200"}'),
    1,
  );
  assert.equal(
    sampleValue(
      text,
      'miniobserv_http_requests_total{method="GET",route="/api/v1/hosts",status="401"}',
    ),
    1,
  );
  assert.equal(
    sampleValue(
      text,
      `miniobserv_http_requests_total{method="DELETE",route="${UNMATCHED_ROUTE}",status="405"}`,
    ),
    1,
  );
});

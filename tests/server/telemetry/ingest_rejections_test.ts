import assert from "node:assert/strict";
import { rejectReason } from "../../../server/telemetry/ingest_rejections.ts";
import { validToken } from "../http/tokens.ts";
import { instrumentedApp, MemoryStore, NOW, quietTelemetry, sampleValue } from "./helpers.ts";

Deno.test("rejectReason: status and message to reason", () => {
  assert.equal(rejectReason(401, ""), "unauthorized");
  assert.equal(rejectReason(403, ""), "forbidden_host");
  assert.equal(rejectReason(413, ""), "too_large");
  assert.equal(rejectReason(415, ""), "unsupported_media_type");
  assert.equal(rejectReason(400, "X-Agent-Version must be printable"), "bad_header");
  assert.equal(
    rejectReason(400, "metrics[0]: time … is older than the retention (30d)"),
    "too_old",
  );
  assert.equal(rejectReason(400, "metrics[3]: time … is more than 10m in the future"), "future");
  assert.equal(rejectReason(400, "body is not valid JSON"), "invalid");
  assert.equal(rejectReason(409, ""), "other");
});

function batch(id: string, host: string, time: number, n = 1) {
  return {
    id,
    host,
    metrics: Array.from({ length: n }, (_, i) => ({
      host,
      name: "cpu.usage_pct",
      time: new Date(time).toISOString(),
      value: i,
      labels: {},
    })),
  };
}

Deno.test("ingest rejections through the real ingest route: each refusal counted under its reason", async () => {
  const telemetry = quietTelemetry();
  const app = instrumentedApp({
    telemetry,
    store: new MemoryStore(),
    config: { bodyLimitBytes: 2048 },
  });
  const token = await validToken("web-1", "ingest", NOW);
  const post = (
    body: BodyInit,
    headers: Record<string, string> = {},
    auth: string | null = token,
  ) =>
    app.request("/api/v1/metrics", {
      method: "POST",
      body,
      headers: {
        "content-type": "application/json",
        ...(auth ? { authorization: `Bearer ${auth}` } : {}),
        ...headers,
      },
    });
  const ok = JSON.stringify(batch("b1", "web-1", NOW));
  const statuses = [
    (await post(ok, {}, null)).status,
    (await post(JSON.stringify(batch("b2", "web-2", NOW)))).status,
    (await post("{not json")).status,
    (await post(JSON.stringify(batch("b3", "web-1", NOW - 40 * 86_400_000)))).status,
    (await post(JSON.stringify(batch("b4", "web-1", NOW + 3_600_000)))).status,
    (await post(ok, { "x-agent-version": "bad\u0001" })).status,
    (await post(JSON.stringify(batch("b5", "web-1", NOW, 40)))).status,
    (await post(ok, { "content-type": "text/plain" })).status,
    (await post(ok, { "content-encoding": "br" })).status,
    (await post(ok)).status,
    (await post(ok)).status,
  ];
  assert.deepEqual(statuses, [401, 403, 400, 400, 400, 400, 413, 415, 415, 202, 202]);
  const text = await telemetry.registry.metrics();
  const rejected = (reason: string) =>
    sampleValue(
      text,
      `miniobserv_ingest_batches_rejected_total{kind="metrics",reason="${reason}"}`,
    );
  assert.equal(rejected("unauthorized"), 1);
  assert.equal(rejected("forbidden_host"), 1);
  assert.equal(rejected("invalid"), 1);
  assert.equal(rejected("too_old"), 1);
  assert.equal(rejected("future"), 1);
  assert.equal(rejected("bad_header"), 1);
  assert.equal(rejected("too_large"), 1);
  assert.equal(rejected("unsupported_media_type"), 2);
  assert.equal(rejected("other"), 0);
  assert.equal(sampleValue(text, 'miniobserv_ingest_batches_total{kind="metrics"}'), 1);
  assert.equal(sampleValue(text, 'miniobserv_ingest_duplicate_batches_total{kind="metrics"}'), 1);
  assert.equal(sampleValue(text, "miniobserv_ingest_samples_total"), 1);
});

Deno.test("ingest rejections: reads and other methods are not refusals", async () => {
  const telemetry = quietTelemetry();
  const app = instrumentedApp({ telemetry });
  assert.equal((await app.request("/api/v1/metrics", { method: "GET" })).status, 405);
  const text = await telemetry.registry.metrics();
  assert.doesNotMatch(text, /miniobserv_ingest_batches_rejected_total\{[^}]*\} [1-9]/);
});

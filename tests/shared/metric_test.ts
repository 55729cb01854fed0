import assert from "node:assert/strict";
import { parseInstant, validateBatch } from "../../shared/metric.ts";
import { isMetricName, LIMITS, METRIC_NAMES } from "../../shared/metric_names.ts";

function batch(
  overrides: Record<string, unknown> = {},
  metric: Record<string, unknown> = {},
): { id: string; host: string; metrics: Record<string, unknown>[] } {
  return {
    id: "web-1-1700000000000-1",
    host: "web-1",
    metrics: [{
      time: "2026-11-26T10:00:00.000Z",
      host: "web-1",
      name: "cpu.usage_pct",
      value: 12.5,
      labels: { core: "total" },
      ...metric,
    }],
    ...overrides,
  };
}

function errorOf(input: unknown): string {
  const r = validateBatch(input);
  assert.equal(r.ok, false, "expected a validation failure");
  return (r as { ok: false; error: string }).error;
}

Deno.test("allowlist: the nine seed names and five more, defined once", () => {
  assert.equal(METRIC_NAMES.length, 14);
  for (
    const n of [
      "cpu.usage_pct",
      "mem.used_pct",
      "mem.used_bytes",
      "mem.total_bytes",
      "disk.used_pct",
      "disk.used_bytes",
      "disk.total_bytes",
      "net.bytes_in",
      "net.bytes_out",
      "system.load1",
      "system.load5",
      "system.load15",
      "disk.read_bytes",
      "disk.write_bytes",
    ]
  ) assert.ok(isMetricName(n), n);
  assert.equal(isMetricName("cpu.usage"), false);
  assert.equal(isMetricName(42), false);
});

Deno.test("validateBatch: a good batch passes and labels default to {}", () => {
  const r = validateBatch(batch({}, { labels: undefined }));
  assert.ok(r.ok);
  assert.deepEqual(r.value.metrics[0].labels, {});
  assert.equal(r.value.metrics[0].value, 12.5);
});

Deno.test("validateBatch: every rule names the metric index and reason", () => {
  assert.equal(errorOf(null), "batch must be a JSON object");
  assert.equal(errorOf([]), "batch must be a JSON object");
  assert.match(errorOf(batch({ id: "" })), /^id must be a non-empty string/);
  assert.match(errorOf(batch({ id: "a b" })), /^id may contain only/);
  assert.match(errorOf(batch({ id: "x".repeat(129) })), /^id must be/);
  assert.equal(errorOf(batch({ host: "" })), "host must be a non-empty string");
  assert.match(errorOf(batch({ host: "h".repeat(256) })), /longer than 255/);
  assert.equal(errorOf(batch({ metrics: {} })), "metrics must be an array");
  assert.equal(
    errorOf(batch({}, { host: "web-2" })),
    'metrics[0]: host "web-2" differs from the batch host "web-1"',
  );
  assert.equal(
    errorOf(batch({}, { name: "cpu.bogus" })),
    'metrics[0]: name "cpu.bogus" is not an allowed metric name',
  );
  assert.match(errorOf(batch({}, { time: "yesterday" })), /^metrics\[0\]: time must be/);
  assert.match(errorOf(batch({}, { time: "2026-02-30T00:00:00Z" })), /time must be/);
  assert.match(errorOf(batch({}, { time: 1700000000 })), /time must be/);
  assert.equal(errorOf(batch({}, { value: "1" })), "metrics[0]: value must be a finite number");
  assert.equal(errorOf(batch({}, { value: NaN })), "metrics[0]: value must be a finite number");
  assert.equal(
    errorOf(batch({}, { value: Infinity })),
    "metrics[0]: value must be a finite number",
  );
  assert.equal(errorOf(batch({}, { labels: { "": "x" } })), "metrics[0]: label key is empty");
  assert.equal(
    errorOf(batch({}, { labels: { k: "v".repeat(129) } })),
    'metrics[0]: label "k" is longer than 128 characters',
  );
  assert.equal(errorOf(batch({}, { labels: { k: 1 } })), 'metrics[0]: label "k" must be a string');
  assert.equal(
    errorOf(batch({}, { labels: ["a"] })),
    "metrics[0]: labels must be an object of strings",
  );
  const many = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"]));
  assert.equal(errorOf(batch({}, { labels: many })), "metrics[0]: more than 16 labels");
  const sixteen = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, "v"]));
  assert.ok(validateBatch(batch({}, { labels: sixteen })).ok);
});

Deno.test("validateBatch: the index points at the bad metric, not the first", () => {
  const b = batch();
  const good = b.metrics[0];
  b.metrics = [good, good, { ...good, value: null }];
  assert.equal(errorOf(b), "metrics[2]: value must be a finite number");
});

Deno.test("validateBatch: at most 5,000 metrics", () => {
  const b = batch();
  b.metrics = Array.from({ length: LIMITS.batchMaxMetrics }, () => b.metrics[0]);
  assert.ok(validateBatch(b).ok);
  b.metrics.push(b.metrics[0]);
  assert.equal(errorOf(b), "more than 5000 metrics in one batch");
});

Deno.test("parseInstant: offsets and fractions, nothing vague", () => {
  assert.equal(parseInstant("2026-11-26T10:00:00Z"), Date.UTC(2026, 10, 26, 10));
  assert.equal(parseInstant("2026-11-26T12:00:00+02:00"), Date.UTC(2026, 10, 26, 10));
  assert.equal(parseInstant("2026-11-26T10:00:00.123456Z"), Date.UTC(2026, 10, 26, 10, 0, 0, 123));
  assert.equal(parseInstant("2026-11-26"), null);
  assert.equal(parseInstant("2026-11-26T10:00:00"), null);
});

Deno.test("validateBatch: text PostgreSQL cannot store and overflowing values are refused", () => {
  assert.equal(
    errorOf(batch({}, { labels: { k: "a\u0000b" } })),
    'metrics[0]: label "k" contains a NUL character',
  );
  assert.equal(
    errorOf(batch({}, { labels: { "k\u0000": "v" } })),
    'metrics[0]: label key "k\\u0000" contains a NUL character',
  );
  assert.equal(
    errorOf(batch({}, { labels: { k: "\ud800" } })),
    'metrics[0]: label "k" is not well-formed Unicode (lone surrogate)',
  );
  assert.equal(
    errorOf(batch({ host: "web-\ud800" })),
    "host is not well-formed Unicode (lone surrogate)",
  );
  assert.equal(errorOf(batch({}, { value: 1.7e308 })), "metrics[0]: value must be within ±1e+300");
  assert.equal(errorOf(batch({}, { value: -1e301 })), "metrics[0]: value must be within ±1e+300");
  assert.ok(validateBatch(batch({}, { value: 1e300, labels: { k: "ünïcødé 😀" } })).ok);
});

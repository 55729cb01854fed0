import assert from "node:assert/strict";
import {
  labelNameProblems,
  lintMetricFamilies,
  metricNameProblems,
} from "../../../shared/telemetry/names.ts";

Deno.test("metricNameProblems: good names pass", () => {
  for (
    const [name, kind] of [
      ["miniobserv_http_requests_total", "counter"],
      ["miniobserv_http_request_duration_seconds", "histogram"],
      ["miniobserv_process_resident_memory_bytes", "gauge"],
      ["miniobserv_nodejs_heap_size_total_bytes", "gauge"],
      ["miniobserv_agent_spool_oldest_pending_age_seconds", "gauge"],
      ["miniobserv_process_cpu_seconds_total", "counter"],
      ["miniobserv_hosts", "gauge"],
    ] as const
  ) assert.deepEqual(metricNameProblems(name, kind), [], name);
});

Deno.test("metricNameProblems: prefix, _total and units are enforced", () => {
  const check = (name: string, kind: "counter" | "gauge" | "histogram", re: RegExp) =>
    assert.ok(metricNameProblems(name, kind).some((p) => re.test(p)), `${name}: ${re}`);
  check("http_requests_total", "counter", /must start with miniobserv_/);
  check("miniobserv_requests", "counter", /counter must end in _total/);
  check("miniobserv_queue_total", "gauge", /only counters may end in _total/);
  check("miniobserv_request_duration_ms", "histogram", /base units \(seconds\), not "ms"/);
  check("miniobserv_request_duration", "histogram", /must end in _seconds/);
  check("miniobserv_spool_size_mb", "gauge", /base units \(bytes\)/);
  check("miniobserv_cpu_percent", "gauge", /0-1 ratio/);
  check("miniobserv_memory_used", "gauge", /must end in _bytes/);
  check("miniobserv_lat_count", "histogram", /_count/);
  check("miniobserv_camelCase", "gauge", /snake_case/);
});

Deno.test("labelNameProblems and lintMetricFamilies", () => {
  assert.deepEqual(labelNameProblems("m", "route"), []);
  assert.match(labelNameProblems("m", "__name")[0], /reserved/);
  assert.match(labelNameProblems("m", "Route")[0], /snake_case/);
  const problems = lintMetricFamilies([
    {
      name: "miniobserv_x_seconds",
      type: "histogram",
      help: "ok",
      values: [{ labels: { le: 0.1, Kind: "a" } }],
    },
    { name: "miniobserv_y_total", type: "counter", help: " ", values: [] },
  ]);
  assert.deepEqual(problems, [
    "miniobserv_x_seconds: label Kind must be snake_case",
    "miniobserv_y_total: has no help text",
  ]);
});

/**
 * Naming conventions of every MiniObserv self-metric, checked by a test that walks both
 * registries (and mirrored by `promtool check metrics`):
 *
 * - every name starts with `miniobserv_` and is snake_case;
 * - counters end in `_total`, and nothing else does;
 * - units are base units: seconds and bytes (never `_ms`, `_kb`, `_percent`…), and a
 *   duration, lag or age is in `_seconds`, a size or memory amount in `_bytes`.
 *
 * @example
 * ```ts
 * metricNameProblems("miniobserv_http_request_duration_ms", "histogram");
 * // ["…: use base units (seconds, bytes), not \"ms\"", "…: a duration … must end in _seconds"]
 * ```
 */

/** The prefix of every MiniObserv self-metric. */
export const METRIC_PREFIX = "miniobserv_";

/** The Prometheus metric types prom-client produces. */
export type MetricKind = "counter" | "gauge" | "histogram" | "summary";

/** Name segments that are not base units, and what to use instead. */
const NON_BASE_UNITS: Readonly<Record<string, string>> = {
  ms: "seconds",
  millis: "seconds",
  milliseconds: "seconds",
  us: "seconds",
  microseconds: "seconds",
  ns: "seconds",
  nanoseconds: "seconds",
  minutes: "seconds",
  hours: "seconds",
  days: "seconds",
  kb: "bytes",
  kib: "bytes",
  kilobytes: "bytes",
  mb: "bytes",
  mib: "bytes",
  megabytes: "bytes",
  gb: "bytes",
  gib: "bytes",
  gigabytes: "bytes",
  bits: "bytes",
  percent: "a 0-1 ratio",
  pct: "a 0-1 ratio",
};

/** Segments that make a name a time quantity (it must then be in seconds). */
const TIME_WORDS = new Set(["duration", "latency", "lag", "age", "uptime"]);
/** Segments that make a name a size quantity (it must then be in bytes). */
const SIZE_WORDS = new Set(["memory", "size", "rss"]);

const SNAKE_CASE = /^[a-z_][a-z0-9_]*$/;
const LABEL_NAME = /^[a-z][a-z0-9_]*$/;

/** What is wrong with `name` for a metric of type `kind`; empty when it follows the conventions. */
export function metricNameProblems(name: string, kind: MetricKind): string[] {
  const problems: string[] = [];
  const say = (what: string) => problems.push(`${name}: ${what}`);
  if (!name.startsWith(METRIC_PREFIX)) say(`must start with ${METRIC_PREFIX}`);
  if (!SNAKE_CASE.test(name)) say("must be snake_case ([a-z0-9_])");
  const segments = name.slice(METRIC_PREFIX.length).split("_");
  if (kind === "counter" && !name.endsWith("_total")) say("a counter must end in _total");
  if (kind !== "counter" && name.endsWith("_total")) say("only counters may end in _total");
  if ((kind === "histogram" || kind === "summary") && /_(count|sum|bucket)$/.test(name)) {
    say("a histogram name must not end in _count, _sum or _bucket (they are added per series)");
  }
  for (const seg of segments) {
    const instead = NON_BASE_UNITS[seg];
    if (instead) say(`use base units (${instead}), not ${JSON.stringify(seg)}`);
  }
  const unitPart = name.replace(/_total$/, "");
  if (segments.some((s) => TIME_WORDS.has(s)) && !unitPart.endsWith("_seconds")) {
    say("a duration, lag or age must end in _seconds");
  }
  if (segments.some((s) => SIZE_WORDS.has(s)) && !unitPart.endsWith("_bytes")) {
    say("a size or memory amount must end in _bytes");
  }
  return problems;
}

/** What is wrong with a label name; empty when it is snake_case and not reserved. */
export function labelNameProblems(metric: string, label: string): string[] {
  if (label.startsWith("__")) return [`${metric}: label ${label} is reserved (starts with __)`];
  if (!LABEL_NAME.test(label)) return [`${metric}: label ${label} must be snake_case`];
  return [];
}

/** One metric family as the registry describes it (`registry.getMetricsAsJSON()`). */
export interface MetricFamilyDescription {
  name: string;
  type: string;
  help: string;
  values: { labels: Record<string, string | number>; metricName?: string }[];
}

/** Every convention problem of a whole registry's families; empty when all follow them. */
export function lintMetricFamilies(families: readonly MetricFamilyDescription[]): string[] {
  const problems: string[] = [];
  for (const f of families) {
    problems.push(...metricNameProblems(f.name, f.type as MetricKind));
    if (!f.help.trim()) problems.push(`${f.name}: has no help text`);
    const labels = new Set(f.values.flatMap((v) => Object.keys(v.labels)));
    labels.delete("le"); // histogram buckets
    for (const l of labels) problems.push(...labelNameProblems(f.name, l));
  }
  return problems;
}

/**
 * Signals: the values of a few self-metrics, copied into every memory snapshot so the
 * advice rules can tell what changed over a window (a counter's increase, a gauge's
 * trend) without any other history.
 *
 * A `Signals` record maps a metric name to its series, each keyed by its canonical label
 * set (`labelKey`): `{ "miniobserv_x_total": { 'reason="invalid"': 2, 'reason="too_old"': 1 } }`.
 *
 * @example
 * ```ts
 * const s = await readSignals(registry, ["miniobserv_ingest_batches_rejected_total"]);
 * signalSum(s, "miniobserv_ingest_batches_rejected_total", { reason: "invalid" }); // 2
 * ```
 */
import type { Registry } from "prom-client";

/** Metric name → canonical label set → value. */
export type Signals = Record<string, Record<string, number>>;

/** Canonical text of a label set: `a="x",b="y"`, keys sorted; `""` for no labels. */
export function labelKey(labels: Readonly<Record<string, string | number>>): string {
  return Object.keys(labels).sort().map((k) => `${k}=${JSON.stringify(String(labels[k]))}`)
    .join(",");
}

/** The label set a `labelKey` was made from. */
export function parseLabelKey(key: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)=("(?:[^"\\]|\\.)*")/g;
  for (const m of key.matchAll(re)) out[m[1]] = JSON.parse(m[2]);
  return out;
}

function matches(key: string, filter: Readonly<Record<string, string>> | undefined): boolean {
  if (!filter) return true;
  const labels = parseLabelKey(key);
  return Object.entries(filter).every(([k, v]) => labels[k] === v);
}

/** The sum of every series of `metric` whose labels include `filter`; 0 when absent. */
export function signalSum(
  signals: Signals | undefined,
  metric: string,
  filter?: Readonly<Record<string, string>>,
): number {
  let sum = 0;
  for (const [key, value] of Object.entries(signals?.[metric] ?? {})) {
    if (matches(key, filter)) sum += value;
  }
  return sum;
}

/** Sums of `metric` grouped by the value of one label (series without it are left out). */
export function signalBy(
  signals: Signals | undefined,
  metric: string,
  label: string,
  filter?: Readonly<Record<string, string>>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(signals?.[metric] ?? {})) {
    if (!matches(key, filter)) continue;
    const v = parseLabelKey(key)[label];
    if (v !== undefined) out[v] = (out[v] ?? 0) + value;
  }
  return out;
}

/**
 * How much a counter rose from `older` to `newer`, per label value of `label` (or under
 * `""` when `label` is omitted). A series that fell (a restart) counts its new value.
 */
export function counterIncrease(
  older: Signals | undefined,
  newer: Signals | undefined,
  metric: string,
  label?: string,
  filter?: Readonly<Record<string, string>>,
): Record<string, number> {
  const out: Record<string, number> = {};
  const before = older?.[metric] ?? {};
  for (const [key, value] of Object.entries(newer?.[metric] ?? {})) {
    if (!matches(key, filter)) continue;
    const prev = before[key] ?? 0;
    const rise = value >= prev ? value - prev : value;
    if (rise <= 0) continue;
    const group = label === undefined ? "" : parseLabelKey(key)[label] ?? "";
    out[group] = (out[group] ?? 0) + rise;
  }
  return out;
}

/** The total of `counterIncrease` over every group. */
export function totalIncrease(
  older: Signals | undefined,
  newer: Signals | undefined,
  metric: string,
  filter?: Readonly<Record<string, string>>,
): number {
  return Object.values(counterIncrease(older, newer, metric, undefined, filter))
    .reduce((a, b) => a + b, 0);
}

/**
 * Reads the current values of `names` from `registry` (running their collect functions).
 * Histograms and summaries contribute nothing: signals are counters and gauges.
 */
export async function readSignals(registry: Registry, names: readonly string[]): Promise<Signals> {
  const out: Signals = {};
  for (const name of names) {
    const metric = registry.getSingleMetric(name);
    if (!metric) continue;
    const data = await metric.get();
    const type = String(data.type);
    if (type !== "counter" && type !== "gauge") continue;
    const series: Record<string, number> = {};
    for (const v of data.values) {
      series[labelKey(v.labels as Record<string, string | number>)] = v.value;
    }
    out[name] = series;
  }
  return out;
}

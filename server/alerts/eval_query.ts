/**
 * The set-based evaluation queries. Rules that watch the same metric, with the same label
 * matchers, over the same window, share one query, which returns one row per matching
 * series of every (non-retired) host with each aggregation those rules need; host globs
 * and thresholds are applied in memory. So a cycle runs at most one query per rule, and
 * usually far fewer — never one per host.
 */
import { canonicalLabels } from "../storage/labels.ts";
import { instanceKey } from "./instance.ts";
import type { AlertRule, RuleAgg } from "./rule.ts";

/** Rules evaluated from one query. */
export interface RuleGroup {
  key: string;
  metric: string;
  windowMs: number;
  labels: Record<string, string>;
  aggs: RuleAgg[];
  rules: AlertRule[];
}

/** One row of a group query: a series and its aggregated values over the window. */
export interface SeriesValues {
  host: string;
  labels: Record<string, string>;
  /** Host and canonical labels: the series' instance key within any rule. */
  key: string;
  values: Partial<Record<RuleAgg, number>>;
}

const AGG_SQL: Record<RuleAgg, string> = {
  avg: "avg(m.value)",
  min: "min(m.value)",
  max: "max(m.value)",
  last: "(array_agg(m.value ORDER BY m.time DESC))[1]",
};

/** The group key of a rule: metric, window and canonical label matchers. */
export function groupKeyOf(rule: Pick<AlertRule, "metric" | "windowMs" | "labels">): string {
  return `${rule.metric}\u0000${rule.windowMs}\u0000${canonicalLabels(rule.labels)}`;
}

/** Groups rules by metric, window and label matchers, in order of first appearance. */
export function groupRules(rules: readonly AlertRule[]): RuleGroup[] {
  const groups = new Map<string, RuleGroup>();
  for (const rule of rules) {
    const key = groupKeyOf(rule);
    let g = groups.get(key);
    if (!g) {
      g = {
        key,
        metric: rule.metric,
        windowMs: rule.windowMs,
        labels: rule.labels,
        aggs: [],
        rules: [],
      };
      groups.set(key, g);
    }
    if (!g.aggs.includes(rule.agg)) g.aggs.push(rule.agg);
    g.rules.push(rule);
  }
  return [...groups.values()];
}

/**
 * The SQL of a group: `$1` metric name, `$2` label matchers (JSON text), `$3` window start
 * (exclusive), `$4` evaluation time (inclusive). Only hosts still in `hosts` count, so a
 * retired host stops alerting.
 */
export function groupQuerySql(aggs: readonly RuleAgg[]): string {
  const cols = aggs.map((a) => `${AGG_SQL[a]} AS ${a}`).join(", ");
  return `SELECT s.host, s.labels, ${cols}
  FROM series s
  JOIN hosts h ON h.host = s.host
  JOIN metric_samples m ON m.series_id = s.id
  WHERE s.name = $1 AND s.labels @> $2::text::jsonb
    AND m.time > $3::timestamptz AND m.time <= $4::timestamptz
  GROUP BY s.id`;
}

/** The parameters of a group's query at `now`. */
export function groupQueryParams(g: RuleGroup, now: number): unknown[] {
  return [g.metric, JSON.stringify(g.labels), new Date(now - g.windowMs), new Date(now)];
}

/** Converts the rows of a group query. */
export function toSeriesValues(
  rows: readonly Record<string, unknown>[],
  aggs: readonly RuleAgg[],
): SeriesValues[] {
  return rows.map((r) => {
    const values: Partial<Record<RuleAgg, number>> = {};
    for (const a of aggs) {
      const v = r[a];
      if (v !== null && v !== undefined) values[a] = Number(v);
    }
    const host = r.host as string;
    const labels = (r.labels ?? {}) as Record<string, string>;
    return { host, labels, key: instanceKey(host, labels), values };
  });
}

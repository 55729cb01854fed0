/**
 * The alert rule model: what a validated rule holds, and the words each field allows.
 * Parsing and validation of untrusted rule text is in `rule_validation.ts`.
 */
import type { MetricName } from "../../shared/metric_names.ts";

/** Comparison operators a rule may use. */
export const OPS = [">", ">=", "<", "<="] as const;
/** One comparison operator. */
export type Op = typeof OPS[number];

/** How a rule reduces the samples of its window to one value. */
export const RULE_AGGS = ["avg", "min", "max", "last"] as const;
/** One rule aggregation. */
export type RuleAgg = typeof RULE_AGGS[number];

/** What a rule does when a series it watched stops: resolve, count as breaching, or keep the last state. */
export const NODATA_MODES = ["ok", "alerting", "keep"] as const;
/** One no-data mode. */
export type NodataMode = typeof NODATA_MODES[number];

/** Severities, most severe first (the alert list sorts by this order). */
export const SEVERITIES = ["critical", "error", "warning", "info"] as const;
/** One severity. */
export type Severity = typeof SEVERITIES[number];

/** Defaults of optional rule fields. */
export const RULE_DEFAULTS = {
  hosts: "*",
  agg: "avg" as RuleAgg,
  windowMs: 60_000,
  forMs: 0,
  keepFiringForMs: 0,
  severity: "warning" as Severity,
  nodata: "keep" as NodataMode,
  summary: "{{rule}} on {{host}}: {{value}}",
  description: "",
} as const;

/** A validated alert rule; durations in milliseconds. */
export interface AlertRule {
  /** Unique name; becomes the `alertname` label. */
  name: string;
  metric: MetricName;
  /** Host glob (`*` any run of characters, `?` one character). */
  hosts: string;
  /** Exact label matchers: a series must carry every one. */
  labels: Record<string, string>;
  agg: RuleAgg;
  windowMs: number;
  op: Op;
  threshold: number;
  forMs: number;
  keepFiringForMs: number;
  severity: Severity;
  summary: string;
  description: string;
  nodata: NodataMode;
  /** True when written in the seed's `{host,name,op,threshold,for}` form. */
  seedStyle: boolean;
}

/** Name of the built-in per-host liveness alert; no configured rule may use it. */
export const HOST_DOWN_RULE = "HostDown";

/** True when `value op threshold` holds. */
export function compare(value: number, op: Op, threshold: number): boolean {
  switch (op) {
    case ">":
      return value > threshold;
    case ">=":
      return value >= threshold;
    case "<":
      return value < threshold;
    case "<=":
      return value <= threshold;
  }
}

/** Rank of a severity for sorting: 0 is the most severe; unknown ones last. */
export function severityRank(severity: string): number {
  const i = (SEVERITIES as readonly string[]).indexOf(severity);
  return i < 0 ? SEVERITIES.length : i;
}

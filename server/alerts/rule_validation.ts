/**
 * Validating untrusted alert rules (from a rules file or `ALERT_RULES`) into `AlertRule`s.
 *
 * Pure: receives already-parsed JSON/YAML values. Every problem is reported with where it
 * is — `rules[2] "HighCPU": threshold: must be a number` — and all problems of a rule set
 * are collected, so an operator fixes a file in one pass.
 */
import { formatDuration, parseDuration } from "../../shared/duration.ts";
import { validateHost, validateLabels } from "../../shared/metric.ts";
import { isMetricName, METRIC_NAMES } from "../../shared/metric_names.ts";
import {
  type AlertRule,
  HOST_DOWN_RULE,
  NODATA_MODES,
  type NodataMode,
  type Op,
  OPS,
  RULE_AGGS,
  RULE_DEFAULTS,
  type RuleAgg,
  SEVERITIES,
  type Severity,
} from "./rule.ts";
import { templateError } from "./template.ts";

const SECOND = 1000;
const DAY = 86_400_000;

/** Longest rule name, in characters. */
export const RULE_NAME_MAX_LENGTH = 128;
/** Longest summary or description template, in characters. */
export const TEMPLATE_MAX_LENGTH = 2000;
/** Bounds of rule durations, in milliseconds. */
export const RULE_BOUNDS = {
  window: [SECOND, DAY],
  for: [0, 30 * DAY],
  keepFiringFor: [0, 30 * DAY],
} as const;

const FIELDS = new Set([
  "name",
  "metric",
  "hosts",
  "labels",
  "agg",
  "window",
  "op",
  "threshold",
  "for",
  "keep_firing_for",
  "severity",
  "summary",
  "description",
  "nodata",
]);
const SEED_FIELDS = new Set(["host", "name", "op", "threshold", "for"]);

/** A rule set failed validation; `problems` holds one located message per problem. */
export class RuleValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("; "));
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A duration field: `"5m"`, `"90s"`, `"1h30m"`, `0`, or a number of seconds. */
export function parseRuleDuration(v: unknown): number | string {
  if (typeof v === "number") {
    if (!Number.isFinite(v) || v < 0) return "must be a duration such as 30s, 5m or 1h";
    return Math.round(v * 1000);
  }
  if (typeof v !== "string") return "must be a duration such as 30s, 5m or 1h";
  if (v.trim() === "0") return 0;
  const ms = parseDuration(v);
  return ms === null ? `${JSON.stringify(v)} is not a duration; use e.g. 30s, 5m or 1h` : ms;
}

/** Collects the problems of one rule object, prefixed by its location. */
class Problems {
  readonly list: string[] = [];
  constructor(private readonly where: string) {}
  add(field: string, message: string): void {
    this.list.push(`${this.where}: ${field}: ${message}`);
  }
}

function oneOf<T extends string>(
  p: Problems,
  field: string,
  v: unknown,
  allowed: readonly T[],
  fallback: T,
): T {
  if (v === undefined) return fallback;
  if (typeof v === "string" && (allowed as readonly string[]).includes(v)) return v as T;
  p.add(field, `must be one of ${allowed.join(", ")} (got ${JSON.stringify(v)})`);
  return fallback;
}

function duration(
  p: Problems,
  field: string,
  v: unknown,
  fallback: number,
  [min, max]: readonly [number, number],
): number {
  if (v === undefined) return fallback;
  const ms = parseRuleDuration(v);
  if (typeof ms === "string") {
    p.add(field, ms);
    return fallback;
  }
  if (ms < min || ms > max) {
    p.add(field, `must be between ${formatDuration(min)} and ${formatDuration(max)}`);
    return fallback;
  }
  return ms;
}

function text(p: Problems, field: string, v: unknown, fallback: string, template: boolean) {
  if (v === undefined) return fallback;
  if (typeof v !== "string") {
    p.add(field, "must be a string");
    return fallback;
  }
  if (v.length > TEMPLATE_MAX_LENGTH) {
    p.add(field, `is longer than ${TEMPLATE_MAX_LENGTH} characters`);
    return fallback;
  }
  if (template) {
    const err = templateError(v);
    if (err) p.add(field, err);
  }
  return v;
}

function ruleName(p: Problems, v: unknown): string {
  if (typeof v !== "string" || v.trim() === "") {
    p.add("name", "is required: a non-empty string");
    return "";
  }
  if (v.length > RULE_NAME_MAX_LENGTH) {
    p.add("name", `is longer than ${RULE_NAME_MAX_LENGTH} characters`);
  }
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f]/.test(v)) p.add("name", "contains control characters");
  if (v === HOST_DOWN_RULE) {
    p.add("name", `${HOST_DOWN_RULE} is the built-in host liveness alert; choose another name`);
  }
  return v;
}

function metricName(p: Problems, field: string, v: unknown) {
  if (isMetricName(v)) return v;
  p.add(
    field,
    v === undefined
      ? `is required: one of ${METRIC_NAMES.join(", ")}`
      : `${JSON.stringify(v)} is not an allowed metric name; use one of ${METRIC_NAMES.join(", ")}`,
  );
  return METRIC_NAMES[0];
}

function hostGlob(p: Problems, field: string, v: unknown): string {
  if (v === undefined) return RULE_DEFAULTS.hosts;
  const err = validateHost(v);
  if (err) {
    p.add(field, err.replace(/^host /, ""));
    return RULE_DEFAULTS.hosts;
  }
  return v as string;
}

function operator(p: Problems, v: unknown): Op {
  if (typeof v === "string" && (OPS as readonly string[]).includes(v)) return v as Op;
  p.add("op", `must be one of ${OPS.join(" ")} (got ${JSON.stringify(v)})`);
  return ">";
}

function threshold(p: Problems, v: unknown): number {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  p.add("threshold", v === undefined ? "is required: a number" : "must be a finite number");
  return 0;
}

function unknownFields(p: Problems, raw: Record<string, unknown>, known: ReadonlySet<string>) {
  for (const k of Object.keys(raw)) {
    if (!known.has(k)) {
      p.add(k, `unknown field; allowed: ${[...known].join(", ")}`);
    }
  }
}

/** True when `raw` is written in the seed's form: `{host, name: <metric>, op, threshold, for}`. */
export function isSeedStyle(raw: Record<string, unknown>): boolean {
  return !("metric" in raw) && "host" in raw && isMetricName(raw.name);
}

function seedRule(raw: Record<string, unknown>, p: Problems): AlertRule {
  unknownFields(p, raw, SEED_FIELDS);
  const metric = metricName(p, "name", raw.name);
  const hosts = hostGlob(p, "host", raw.host);
  const op = operator(p, raw.op);
  const limit = threshold(p, raw.threshold);
  const forMs = duration(p, "for", raw.for, 0, RULE_BOUNDS.for);
  return {
    // Seed rules have no name of their own: one is made from what they watch.
    name: `${metric} ${op} ${limit} on ${hosts}`,
    metric,
    hosts,
    labels: {},
    agg: "avg",
    // "Average over `for`, fire at once": `for` is the averaging window.
    windowMs: forMs > 0 ? Math.max(forMs, RULE_BOUNDS.window[0]) : RULE_DEFAULTS.windowMs,
    op,
    threshold: limit,
    forMs: 0,
    keepFiringForMs: 0,
    severity: RULE_DEFAULTS.severity,
    summary: RULE_DEFAULTS.summary,
    description: RULE_DEFAULTS.description,
    nodata: RULE_DEFAULTS.nodata,
    seedStyle: true,
  };
}

function fullRule(raw: Record<string, unknown>, p: Problems): AlertRule {
  unknownFields(p, raw, FIELDS);
  const name = ruleName(p, raw.name);
  const metric = metricName(p, "metric", raw.metric);
  const hosts = hostGlob(p, "hosts", raw.hosts);
  let labels: Record<string, string> = {};
  if (raw.labels !== undefined) {
    const err = validateLabels(raw.labels);
    if (err) p.add("labels", err);
    else labels = { ...(raw.labels as Record<string, string>) };
  }
  return {
    name,
    metric,
    hosts,
    labels,
    agg: oneOf<RuleAgg>(p, "agg", raw.agg, RULE_AGGS, RULE_DEFAULTS.agg),
    windowMs: duration(p, "window", raw.window, RULE_DEFAULTS.windowMs, RULE_BOUNDS.window),
    op: operator(p, raw.op),
    threshold: threshold(p, raw.threshold),
    forMs: duration(p, "for", raw.for, RULE_DEFAULTS.forMs, RULE_BOUNDS.for),
    keepFiringForMs: duration(
      p,
      "keep_firing_for",
      raw.keep_firing_for,
      RULE_DEFAULTS.keepFiringForMs,
      RULE_BOUNDS.keepFiringFor,
    ),
    severity: oneOf<Severity>(p, "severity", raw.severity, SEVERITIES, RULE_DEFAULTS.severity),
    summary: text(p, "summary", raw.summary, RULE_DEFAULTS.summary, true),
    description: text(p, "description", raw.description, RULE_DEFAULTS.description, true),
    nodata: oneOf<NodataMode>(p, "nodata", raw.nodata, NODATA_MODES, RULE_DEFAULTS.nodata),
    seedStyle: false,
  };
}

/** Validates one rule object; returns the rule or the located problems. */
export function validateRule(
  raw: unknown,
  where: string,
): { rule: AlertRule; problems: string[] } | { rule: null; problems: string[] } {
  if (!isObject(raw)) return { rule: null, problems: [`${where}: must be an object`] };
  const label = typeof raw.name === "string" ? ` ${JSON.stringify(raw.name)}` : "";
  const p = new Problems(`${where}${label}`);
  const rule = isSeedStyle(raw) ? seedRule(raw, p) : fullRule(raw, p);
  return p.list.length > 0 ? { rule: null, problems: p.list } : { rule, problems: [] };
}

/**
 * Validates a list of rule objects from `source` (e.g. `ALERT_RULES_FILE rules.yaml`);
 * returns the rules, or throws a `RuleValidationError` listing every problem.
 */
export function validateRules(raw: unknown, source: string): AlertRule[] {
  if (!Array.isArray(raw)) {
    throw new RuleValidationError([`${source}: rules must be a list`]);
  }
  const problems: string[] = [];
  const rules: AlertRule[] = [];
  raw.forEach((r, i) => {
    const result = validateRule(r, `${source}: rules[${i}]`);
    problems.push(...result.problems);
    if (result.rule) rules.push(result.rule);
  });
  if (problems.length > 0) throw new RuleValidationError(problems);
  return rules;
}

/** Throws when two rules share a name (names identify alerts); `sources` name each rule's origin. */
export function checkUniqueNames(rules: readonly { rule: AlertRule; source: string }[]): void {
  const seen = new Map<string, string>();
  const problems: string[] = [];
  for (const { rule, source } of rules) {
    const first = seen.get(rule.name);
    if (first !== undefined) {
      problems.push(
        `${source}: name: ${JSON.stringify(rule.name)} is already used by a rule in ${first}; ` +
          "rule names must be unique",
      );
    } else {
      seen.set(rule.name, source);
    }
  }
  if (problems.length > 0) throw new RuleValidationError(problems);
}

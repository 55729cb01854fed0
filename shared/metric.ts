/**
 * The metric model both programs speak, and its one validation.
 *
 * @example
 * ```ts
 * const result = validateBatch(JSON.parse(body));
 * if (!result.ok) return c.json({ error: result.error }, 400);
 * ```
 */
import { isMetricName, LIMITS, type MetricName } from "./metric_names.ts";

/** One sample of one series. `time` is an ISO 8601 instant. */
export interface Metric {
  time: string;
  host: string;
  name: MetricName;
  value: number;
  labels: Record<string, string>;
}

/** What an agent sends in one request. `id` makes ingest idempotent: a retried batch is stored once. */
export interface MetricBatch {
  id: string;
  host: string;
  metrics: Metric[];
}

/** The result of validation: the typed batch, or one message naming what is wrong and where. */
export type Validation<T> = { ok: true; value: T } | { ok: false; error: string };

const BATCH_ID_PATTERN = /^[A-Za-z0-9._:-]+$/;

/** True for a JSON object (not null, not an array). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Checks a host name: a non-empty string of at most 255 characters without control characters. */
export function validateHost(host: unknown): string | null {
  if (typeof host !== "string" || host.length === 0) return "host must be a non-empty string";
  if (host.length > LIMITS.hostMaxLength) {
    return `host is longer than ${LIMITS.hostMaxLength} characters`;
  }
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f]/.test(host)) return "host contains control characters";
  if (!host.isWellFormed()) return "host is not well-formed Unicode (lone surrogate)";
  return null;
}

/**
 * A reason when `s` cannot be stored as PostgreSQL text or jsonb: a NUL character or a lone
 * UTF-16 surrogate (not well-formed Unicode). Null when it can.
 */
export function unstorableText(s: string): string | null {
  if (s.includes("\u0000")) return "contains a NUL character";
  if (!s.isWellFormed()) return "is not well-formed Unicode (lone surrogate)";
  return null;
}

/** Checks a label set; returns a reason or null. */
export function validateLabels(labels: unknown): string | null {
  if (!isPlainObject(labels)) return "labels must be an object of strings";
  const entries = Object.entries(labels);
  if (entries.length > LIMITS.labelsMax) return `more than ${LIMITS.labelsMax} labels`;
  for (const [k, v] of entries) {
    if (k.length === 0) return "label key is empty";
    const keyProblem = unstorableText(k);
    if (keyProblem) return `label key ${JSON.stringify(k)} ${keyProblem}`;
    if (k.length > LIMITS.labelKeyMaxLength) {
      return `label key is longer than ${LIMITS.labelKeyMaxLength} characters`;
    }
    if (typeof v !== "string") return `label "${k}" must be a string`;
    if (v.length > LIMITS.labelValueMaxLength) {
      return `label "${k}" is longer than ${LIMITS.labelValueMaxLength} characters`;
    }
    const valueProblem = unstorableText(v);
    if (valueProblem) return `label "${k}" ${valueProblem}`;
  }
  return null;
}

/** Parses an ISO 8601 instant strictly; returns epoch milliseconds or null. */
export function parseInstant(time: unknown): number | null {
  if (typeof time !== "string") return null;
  // Require a full date-time with an offset so "2024" or "tomorrow" never pass.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i.test(time)) {
    return null;
  }
  const ms = Date.parse(time);
  if (!Number.isFinite(ms)) return null;
  // Date.parse rolls "02-30" over to March; refuse dates that do not exist.
  const [y, mo, d] = time.slice(0, 10).split("-").map(Number);
  const check = new Date(Date.UTC(y, mo - 1, d));
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) {
    return null;
  }
  return ms;
}

/** Remembers the last time string checked: an agent's batch repeats each tick's time. */
interface TimeMemo {
  text: unknown;
  ok: boolean;
}

/**
 * The labels check on the hot path: one pass without allocating; on any doubt it defers
 * to `validateLabels`, which words the error. (Validation was a quarter of ingest's CPU.)
 */
function validateLabelsFast(labels: unknown): string | null {
  if (!isPlainObject(labels)) return "labels must be an object of strings";
  let n = 0;
  for (const k in labels) {
    if (!Object.hasOwn(labels, k)) continue;
    const v = labels[k];
    if (
      ++n > LIMITS.labelsMax || k.length === 0 || k.length > LIMITS.labelKeyMaxLength ||
      typeof v !== "string" || v.length > LIMITS.labelValueMaxLength ||
      unstorableText(k) !== null || unstorableText(v) !== null
    ) return validateLabels(labels);
  }
  return null;
}

function validateMetric(m: unknown, batchHost: string, memo: TimeMemo): string | null {
  if (!isPlainObject(m)) return "must be an object";
  if (m.host !== batchHost) {
    // The batch host is already valid; only a different host needs its own check.
    const hostError = validateHost(m.host);
    if (hostError) return hostError;
    return `host "${m.host}" differs from the batch host "${batchHost}"`;
  }
  if (!isMetricName(m.name)) return `name ${JSON.stringify(m.name)} is not an allowed metric name`;
  if (m.time !== memo.text) {
    memo.text = m.time;
    memo.ok = parseInstant(m.time) !== null;
  }
  if (!memo.ok) return "time must be an ISO 8601 instant with an offset";
  if (typeof m.value !== "number" || !Number.isFinite(m.value)) {
    return "value must be a finite number";
  }
  if (Math.abs(m.value) > LIMITS.valueMaxAbs) {
    return `value must be within ±${LIMITS.valueMaxAbs}`;
  }
  return m.labels === undefined ? null : validateLabelsFast(m.labels);
}

/** The part every agent batch shares: an id, a host and an array of at most `maxItems`. */
export interface BatchEnvelope {
  id: string;
  host: string;
  /** Untrusted items (`Array.isArray` gives `any[]`); each is validated by the caller. */
  // deno-lint-ignore no-explicit-any
  items: any[];
}

/**
 * Validates the envelope of an agent batch (metrics or logs): a JSON object with an `id`
 * (1–128 of letters, digits, `.`, `_`, `:`, `-`), a valid `host`, and an `itemsKey` array of
 * at most `maxItems` entries. The items themselves are the caller's to check.
 */
export function validateBatchEnvelope(
  input: unknown,
  itemsKey: string,
  maxItems: number,
): Validation<BatchEnvelope> {
  if (!isPlainObject(input)) return { ok: false, error: "batch must be a JSON object" };
  const { id, host } = input;
  const items = input[itemsKey];
  if (typeof id !== "string" || id.length === 0 || id.length > LIMITS.batchIdMaxLength) {
    return {
      ok: false,
      error: `id must be a non-empty string of at most ${LIMITS.batchIdMaxLength} characters`,
    };
  }
  if (!BATCH_ID_PATTERN.test(id)) {
    return { ok: false, error: "id may contain only letters, digits, '.', '_', ':' and '-'" };
  }
  const hostError = validateHost(host);
  if (hostError) return { ok: false, error: hostError };
  if (!Array.isArray(items)) return { ok: false, error: `${itemsKey} must be an array` };
  if (items.length > maxItems) {
    return { ok: false, error: `more than ${maxItems} ${itemsKey} in one batch` };
  }
  return { ok: true, value: { id, host: host as string, items } };
}

/** Validates an untrusted value as a MetricBatch; every failure names the metric index and the reason. */
export function validateBatch(input: unknown): Validation<MetricBatch> {
  const envelope = validateBatchEnvelope(input, "metrics", LIMITS.batchMaxMetrics);
  if (!envelope.ok) return envelope;
  const { id, host, items: metrics } = envelope.value;
  const out: Metric[] = new Array(metrics.length);
  const memo: TimeMemo = { text: undefined, ok: false };
  for (let i = 0; i < metrics.length; i++) {
    const m = metrics[i];
    const reason = validateMetric(m, host, memo);
    if (reason) return { ok: false, error: `metrics[${i}]: ${reason}` };
    out[i] = {
      time: m.time,
      host: m.host,
      name: m.name,
      value: m.value,
      labels: m.labels ?? {},
    };
  }
  return { ok: true, value: { id, host, metrics: out } };
}

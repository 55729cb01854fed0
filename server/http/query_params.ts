/**
 * Parsing and validating the query string of `GET /api/v1/metrics/query` and `/latest`.
 *
 * Every failure names the parameter: `from must be an ISO 8601 instant with an offset`.
 */
import { isMetricName } from "../../shared/metric_names.ts";
import { parseInstant, validateHost, validateLabels } from "../../shared/metric.ts";
import { formatDuration } from "../../shared/duration.ts";
import { type Agg, AGGS, type Bucket, BUCKETS, type MetricQuery } from "../storage/metric_store.ts";
import { chooseBucket, MAX_POINTS, pointsFor } from "./bucket_choice.ts";

/** A parsed value, or a message naming the bad parameter. */
export type ParamResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Range used when `from` is omitted: one hour before `to`. */
export const DEFAULT_RANGE_MS = 3_600_000;
/** Prefix of label matcher parameters (`label.core=total`). */
export const LABEL_PREFIX = "label.";

const QUERY_PARAMS = new Set(["host", "name", "from", "to", "bucket", "agg"]);

/** What the query parser needs besides the parameters. */
export interface QueryContext {
  nowMs: number;
  retentionMs: number;
}

function fail<T>(error: string): ParamResult<T> {
  return { ok: false, error };
}

/** Refuses repeated and unknown parameters; `allowLabels` permits `label.<key>`. */
function checkNames(
  params: URLSearchParams,
  known: ReadonlySet<string>,
  allowLabels: boolean,
): string | null {
  const seen = new Set<string>();
  for (const key of params.keys()) {
    if (seen.has(key)) return `${key} is given more than once`;
    seen.add(key);
    if (known.has(key)) continue;
    if (allowLabels && key.startsWith(LABEL_PREFIX)) continue;
    return `unknown parameter ${JSON.stringify(key)}`;
  }
  return null;
}

function parseHost(params: URLSearchParams): ParamResult<string> {
  const host = params.get("host");
  if (host === null) return fail("host is required");
  const err = validateHost(host);
  return err ? fail(err) : { ok: true, value: host };
}

function parseTime(params: URLSearchParams, key: "from" | "to"): ParamResult<number | null> {
  const v = params.get(key);
  if (v === null || v === "") return { ok: true, value: null };
  const ms = parseInstant(v);
  if (ms === null) return fail(`${key} must be an ISO 8601 instant with an offset`);
  return { ok: true, value: ms };
}

function parseLabels(params: URLSearchParams): ParamResult<Record<string, string>> {
  const labels: Record<string, string> = {};
  for (const [key, value] of params) {
    if (!key.startsWith(LABEL_PREFIX)) continue;
    Object.defineProperty(labels, key.slice(LABEL_PREFIX.length), {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  const err = validateLabels(labels);
  return err ? fail(`label: ${err}`) : { ok: true, value: labels };
}

/** Parses `?host=` for `/latest`. */
export function parseLatestParams(params: URLSearchParams): ParamResult<string> {
  const nameErr = checkNames(params, new Set(["host"]), false);
  if (nameErr) return fail(nameErr);
  return parseHost(params);
}

/**
 * Parses a metric query: `to` defaults to now, `from` to `to − 1h`; `from < to`; range at
 * most the retention; `bucket` defaults to `auto`; `agg` defaults to `avg`.
 */
export function parseMetricQuery(
  params: URLSearchParams,
  ctx: QueryContext,
): ParamResult<MetricQuery> {
  const nameErr = checkNames(params, QUERY_PARAMS, true);
  if (nameErr) return fail(nameErr);

  const host = parseHost(params);
  if (!host.ok) return host;

  const name = params.get("name");
  if (name === null) return fail("name is required");
  if (!isMetricName(name)) {
    return fail(`name ${JSON.stringify(name)} is not an allowed metric name`);
  }

  const toP = parseTime(params, "to");
  if (!toP.ok) return toP;
  const fromP = parseTime(params, "from");
  if (!fromP.ok) return fromP;
  const to = toP.value ?? ctx.nowMs;
  const from = fromP.value ?? to - DEFAULT_RANGE_MS;
  if (from >= to) return fail("from must be earlier than to");
  const range = to - from;
  if (range > ctx.retentionMs) {
    return fail(`from..to spans more than the retention (${formatDuration(ctx.retentionMs)})`);
  }

  const bucketText = params.get("bucket") ?? "auto";
  let bucket: Bucket;
  if (bucketText === "auto") {
    bucket = chooseBucket(range);
  } else if ((BUCKETS as readonly string[]).includes(bucketText)) {
    bucket = bucketText as Bucket;
    const points = pointsFor(range, bucket);
    if (points > MAX_POINTS) {
      return fail(
        `bucket ${bucket} gives ${points} points for this range; at most ${MAX_POINTS}, ` +
          "use a wider bucket or auto",
      );
    }
  } else {
    return fail(`bucket must be auto or one of ${BUCKETS.join(", ")}`);
  }

  const aggText = params.get("agg") ?? "avg";
  if (!(AGGS as readonly string[]).includes(aggText)) {
    return fail(`agg must be one of ${AGGS.join(", ")}`);
  }

  const labels = parseLabels(params);
  if (!labels.ok) return labels;

  return {
    ok: true,
    value: {
      host: host.value,
      name,
      from: new Date(from),
      to: new Date(to),
      bucket,
      agg: aggText as Agg,
      labels: labels.value,
    },
  };
}

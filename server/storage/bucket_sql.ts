/**
 * The SQL of a bucketed query. Buckets start at multiples of the width counted from
 * 2000-01-03 00:00 UTC (a Monday): `time_bucket`'s default origin on TimescaleDB and the
 * explicit origin of `date_bin` elsewhere, so both give identical buckets.
 */
import { type Agg, type Bucket, BUCKET_MS } from "./metric_store.ts";

/** The origin shared by `date_bin` and `time_bucket`. */
export const BUCKET_ORIGIN = "2000-01-03 00:00:00+00";

/** The bucket width as an interval literal (`300 seconds`). */
export function bucketInterval(bucket: Bucket): string {
  return `${BUCKET_MS[bucket] / 1000} seconds`;
}

/** The bucket-start expression over `time` with the width in parameter `$param`. */
export function bucketExpression(timescale: boolean, param: number): string {
  return timescale
    ? `time_bucket($${param}::interval, time)`
    : `date_bin($${param}::interval, time, TIMESTAMPTZ '${BUCKET_ORIGIN}')`;
}

/**
 * The aggregate expression over `value`. `last` is the value at the greatest time (ties:
 * the greatest value), written the same on every backend so results are identical.
 */
export function aggExpression(agg: Agg): string {
  switch (agg) {
    case "avg":
      return "avg(value)";
    case "min":
      return "min(value)";
    case "max":
      return "max(value)";
    case "sum":
      return "sum(value)";
    case "last":
      return "(array_agg(value ORDER BY time DESC, value DESC))[1]";
  }
}

/** The samples query: `$1` series ids, `$2` from (inclusive), `$3` to (exclusive), `$4` width. */
export function bucketQuerySql(timescale: boolean, agg: Agg): string {
  return `SELECT series_id, ${bucketExpression(timescale, 4)} AS bucket, ${
    aggExpression(agg)
  } AS value
  FROM metric_samples
  WHERE series_id = ANY($1::int8[]) AND time >= $2::timestamptz AND time < $3::timestamptz
  GROUP BY series_id, bucket
  ORDER BY series_id, bucket`;
}

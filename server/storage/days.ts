/**
 * UTC days as the samples table is partitioned: day `d` covers
 * [d·86 400 000 ms, (d+1)·86 400 000 ms) since the Unix epoch, and its native partition is
 * named `metric_samples_pYYYYMMDD`.
 */

/** Milliseconds in a day. */
export const DAY_MS = 86_400_000;

/** Prefix of every daily partition of `metric_samples`. */
export const PARTITION_PREFIX = "metric_samples_p";

/** The UTC day number (days since 1970-01-01) containing `ms`. */
export function utcDay(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/** The start of day `day` as a PostgreSQL timestamptz literal (`2026-11-26 00:00:00+00`). */
export function dayStartLiteral(day: number): string {
  return `${new Date(day * DAY_MS).toISOString().slice(0, 10)} 00:00:00+00`;
}

/** The partition name of day `day`: `metric_samples_p20261126`. */
export function partitionName(day: number): string {
  return PARTITION_PREFIX + new Date(day * DAY_MS).toISOString().slice(0, 10).replaceAll("-", "");
}

/** The day number of a partition name, or null when `name` is not a daily partition's. */
export function partitionDay(name: string): number | null {
  const m = /^metric_samples_p(\d{4})(\d{2})(\d{2})$/.exec(name);
  if (!m) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return partitionName(utcDay(ms)) === name ? utcDay(ms) : null;
}

/** A PostgreSQL interval literal for `ms` (`30 days`, `90 seconds`, `1500 milliseconds`). */
export function intervalLiteral(ms: number): string {
  if (ms % DAY_MS === 0) return `${ms / DAY_MS} days`;
  if (ms % 1000 === 0) return `${ms / 1000} seconds`;
  return `${ms} milliseconds`;
}

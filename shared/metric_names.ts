/**
 * The one allowlist of metric names and the limits every side enforces.
 *
 * Agents may only send these names; the server refuses anything else; alert rules
 * may only reference them. Add a name here and everything else follows.
 */

/** Every metric name MiniObserv accepts, in a stable order. */
export const METRIC_NAMES = [
  "cpu.usage_pct",
  "mem.used_pct",
  "mem.used_bytes",
  "mem.total_bytes",
  "disk.used_pct",
  "disk.used_bytes",
  "disk.total_bytes",
  "net.bytes_in",
  "net.bytes_out",
  "system.load1",
  "system.load5",
  "system.load15",
  "disk.read_bytes",
  "disk.write_bytes",
] as const;

/** A metric name from the allowlist. */
export type MetricName = typeof METRIC_NAMES[number];

const NAME_SET: ReadonlySet<string> = new Set(METRIC_NAMES);

/** True when `name` is in the allowlist. */
export function isMetricName(name: unknown): name is MetricName {
  return typeof name === "string" && NAME_SET.has(name);
}

/** Limits of the shared model; the server and the agent both import these. */
export const LIMITS = {
  /** Longest host name, in characters. */
  hostMaxLength: 255,
  /** Most labels on one metric. */
  labelsMax: 16,
  /** Longest label key, in characters. */
  labelKeyMaxLength: 128,
  /** Longest label value, in characters. */
  labelValueMaxLength: 128,
  /** Most metrics in one batch. */
  batchMaxMetrics: 5000,
  /**
   * Largest accepted magnitude of a value. Finite but near-maximal doubles (1.7e308) would
   * overflow `sum`/`avg` in PostgreSQL and poison a series' queries for its whole retention.
   */
  valueMaxAbs: 1e300,
  /** Longest batch id, in characters. */
  batchIdMaxLength: 128,
} as const;

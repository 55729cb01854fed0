/**
 * In-process counters of what the agent dropped, skipped or failed, so nothing is lost silently.
 * They back the log lines today and the Prometheus self-metrics later.
 *
 * @example
 * ```ts
 * counters.inc("collector_errors_total", { collector: "cpu" });
 * counters.get("collector_errors_total", { collector: "cpu" }); // 1
 * ```
 */

/** Label set of one counter series. */
export type CounterLabels = Readonly<Record<string, string>>;

function seriesKey(name: string, labels: CounterLabels): string {
  const parts = Object.keys(labels).sort().map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return `${name}{${parts.join(",")}}`;
}

/** A set of monotonically increasing counters, keyed by name and labels. */
export class Counters {
  #values = new Map<string, number>();

  /** Adds `by` (default 1) to one series and returns its new value. */
  inc(name: string, labels: CounterLabels = {}, by = 1): number {
    const key = seriesKey(name, labels);
    const value = (this.#values.get(key) ?? 0) + by;
    this.#values.set(key, value);
    return value;
  }

  /** The current value of one series (0 when never incremented). */
  get(name: string, labels: CounterLabels = {}): number {
    return this.#values.get(seriesKey(name, labels)) ?? 0;
  }

  /** Every series as `name{labels}` → value, for logs and tests. */
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.#values);
  }
}

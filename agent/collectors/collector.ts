/**
 * What every collector is and what it is given. Collectors never touch the OS themselves:
 * file reads, `statfs` and the clock are injected so they run over fixtures in tests.
 */
import type { Metric } from "../../shared/metric.ts";
import type { MetricName } from "../../shared/metric_names.ts";

/** One source of metrics. `collect()` reads its source once; a seeding call may return nothing. */
export interface Collector {
  readonly name: string;
  collect(): Promise<Metric[]>;
}

/** Reads a whole text file (`Deno.readTextFile` in main.ts). */
export type ReadTextFile = (path: string) => Promise<string>;

/** Milliseconds since the epoch (`Date.now` in main.ts). */
export type Clock = () => number;

/** What every collector needs: the host the metrics describe, a file reader and a clock. */
export interface CollectorDeps {
  host: string;
  readFile: ReadTextFile;
  now: Clock;
}

/** Builds metrics that share one host and one timestamp. */
export function metricStamper(
  host: string,
  timeMs: number,
): (name: MetricName, value: number, labels?: Record<string, string>) => Metric {
  const time = new Date(timeMs).toISOString();
  return (name, value, labels = {}) => ({ time, host, name, value, labels });
}

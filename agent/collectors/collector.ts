/**
 * What every collector is and what it is given. Collectors never touch the OS themselves:
 * file reads, `statfs` and the clock are injected so they run over fixtures in tests.
 */
import type { Metric } from "../../shared/metric.ts";
import type { MetricName } from "../../shared/metric_names.ts";
import { inContext } from "../errors.ts";

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

/**
 * The text of `path`, for the collector named `source`; a failure is thrown as
 * `<source>: reading <path>: …`. Collectors use this and `parseText` rather than
 * `withContext` on their per-tick path: the agent runs `--jitless`, and `withContext` costs an
 * async call, a closure and a context string on every tick.
 */
export async function readText(
  readFile: ReadTextFile,
  source: string,
  path: string,
): Promise<string> {
  try {
    return await readFile(path);
  } catch (e) {
    throw inContext(`${source}: reading ${path}`, e);
  }
}

/** `readText` then `parseText`: the parsed content of `path`. */
export async function readParsed<T>(
  readFile: ReadTextFile,
  source: string,
  path: string,
  parse: (text: string) => T,
): Promise<T> {
  return parseText(source, path, await readText(readFile, source, path), parse);
}

/** `parse(text)`; a failure is thrown as `<source>: parsing <path>: …`. */
export function parseText<T>(
  source: string,
  path: string,
  text: string,
  parse: (text: string) => T,
): T {
  try {
    return parse(text);
  } catch (e) {
    throw inContext(`${source}: parsing ${path}`, e);
  }
}

/** The last time formatted, since the collectors of one tick mostly read the same millisecond. */
let stampedMs = NaN;
let stamped = "";

/** `timeMs` as an ISO 8601 instant; formats once per distinct millisecond. */
function isoTime(timeMs: number): string {
  if (timeMs !== stampedMs) {
    stamped = new Date(timeMs).toISOString();
    stampedMs = timeMs;
  }
  return stamped;
}

/** Builds metrics that share one host and one timestamp. */
export function metricStamper(
  host: string,
  timeMs: number,
): (name: MetricName, value: number, labels?: Record<string, string>) => Metric {
  const time = isoTime(timeMs);
  return (name, value, labels = {}) => ({ time, host, name, value, labels });
}

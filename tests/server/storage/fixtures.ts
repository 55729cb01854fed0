/** Batches, datasets and a reference bucketing for the storage tests. */
import type { Metric, MetricBatch } from "../../../shared/metric.ts";
import type { MetricName } from "../../../shared/metric_names.ts";
import type { Agg, Point } from "../../../server/storage/metric_store.ts";

/** The fixed "now" of the storage tests: 2026-03-10 12:00 UTC. */
export const NOW = Date.parse("2026-03-10T12:00:00Z");
/** A day in milliseconds. */
export const DAY = 86_400_000;

let batchCounter = 0;

/** A metric of `host`. */
export function metric(
  host: string,
  name: MetricName,
  time: string | number,
  value: number,
  labels: Record<string, string> = {},
): Metric {
  const iso = typeof time === "number" ? new Date(time).toISOString() : time;
  return { host, name, time: iso, value, labels };
}

/** A batch of `metrics` from `host` with a fresh id unless one is given. */
export function batch(host: string, metrics: Metric[], id?: string): MetricBatch {
  return { id: id ?? `b-${++batchCounter}-${crypto.randomUUID()}`, host, metrics };
}

/** Splits metrics into batches of at most `size`. */
export function batches(host: string, metrics: Metric[], size = 5000): MetricBatch[] {
  const out: MetricBatch[] = [];
  for (let i = 0; i < metrics.length; i += size) out.push(batch(host, metrics.slice(i, i + size)));
  return out;
}

/** Start of the shared dataset: 2026-03-08 20:00 UTC (crosses two midnights). */
export const DATASET_FROM = Date.parse("2026-03-08T20:00:00Z");
/** End (exclusive) of the shared dataset: 2026-03-10 04:00 UTC. */
export const DATASET_TO = Date.parse("2026-03-10T04:00:00Z");
/** The dataset's host. */
export const DATASET_HOST = "web-1";

/**
 * A deterministic dataset: `cpu.usage_pct` for core total, 0 and 1 every 37 s, and
 * `disk.used_pct` for two devices every 5 min. Values are multiples of 0.25 so every sum
 * is exact whatever order a database adds in.
 */
export function dataset(): Metric[] {
  const out: Metric[] = [];
  let i = 0;
  for (let t = DATASET_FROM; t < DATASET_TO; t += 37_000, i++) {
    out.push(metric(DATASET_HOST, "cpu.usage_pct", t, (i * 37) % 101 + (i % 4) * 0.25, {
      core: "total",
    }));
    out.push(metric(DATASET_HOST, "cpu.usage_pct", t, (i * 13) % 97, { core: "0" }));
    out.push(metric(DATASET_HOST, "cpu.usage_pct", t, (i * 7) % 89 + 0.5, { core: "1" }));
  }
  i = 0;
  for (let t = DATASET_FROM; t < DATASET_TO; t += 300_000, i++) {
    out.push(metric(DATASET_HOST, "disk.used_pct", t, 40 + (i % 10), {
      device: "sda1",
      mount: "/",
    }));
    out.push(metric(DATASET_HOST, "disk.used_pct", t, 70 - (i % 5) * 0.5, {
      device: "sdb1",
      mount: "/var",
    }));
  }
  return out;
}

/** The shared bucket origin, 2000-01-03 00:00 UTC. */
export const ORIGIN = Date.UTC(2000, 0, 3);

/** A reference implementation of bucketing in JS, to check the databases against. */
export function referenceBuckets(
  samples: { time: number; value: number }[],
  widthMs: number,
  agg: Agg,
  from: number,
  to: number,
): Point[] {
  const groups = new Map<number, { time: number; value: number }[]>();
  for (const s of samples) {
    if (s.time < from || s.time >= to) continue;
    const start = ORIGIN + Math.floor((s.time - ORIGIN) / widthMs) * widthMs;
    const g = groups.get(start) ?? [];
    g.push(s);
    groups.set(start, g);
  }
  return [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([start, g]) => {
    const values = g.map((s) => s.value);
    const sum = values.reduce((a, b) => a + b, 0);
    const last = g.reduce((a, b) =>
      (b.time > a.time || (b.time === a.time && b.value > a.value)) ? b : a
    );
    const value = agg === "avg"
      ? sum / values.length
      : agg === "min"
      ? Math.min(...values)
      : agg === "max"
      ? Math.max(...values)
      : agg === "sum"
      ? sum
      : last.value;
    return { time: new Date(start).toISOString(), value };
  });
}

/** Helpers for spool tests: records, a spool on a temporary directory, reopening it. */
import { Counters } from "../../../agent/counters.ts";
import { metricRecord } from "../../../agent/metric_records.ts";
import { denoSpoolFs } from "../../../agent/spool/deno_spool_fs.ts";
import type { NewRecord } from "../../../agent/spool/record_frame.ts";
import { Spool, type SpoolOptions } from "../../../agent/spool/spool.ts";
import type { MetricBatch } from "../../../shared/metric.ts";
import { capturedLogger } from "../helpers.ts";

/** A metric batch `h-1-<n>` of `items` load1 samples at second n. */
export function batch(n: number, items = 2, host = "h"): MetricBatch {
  const time = new Date(Date.UTC(2024, 0, 1) + n * 1000).toISOString();
  return {
    id: `${host}-1-${n}`,
    host,
    metrics: Array.from({ length: items }, (_, i) => ({
      time,
      host,
      name: "system.load1" as const,
      value: n + i / 100,
      labels: { i: String(i) },
    })),
  };
}

/** `metricRecord(batch(n, items, host))`. */
export function rec(n: number, items = 2, host = "h"): NewRecord {
  return metricRecord(batch(n, items, host));
}

/** The batch ids inside a record payload list. */
export function idsOf(records: { payload: Uint8Array }[]): string[] {
  return records.map((r) => JSON.parse(new TextDecoder().decode(r.payload)).id);
}

/** A spool directory with helpers to open (and reopen) a spool on it. */
export async function spoolDir(opts: Partial<SpoolOptions> = {}) {
  const dir = await Deno.makeTempDir({ prefix: "spool-test-" });
  const counters = new Counters();
  const { logger, lines } = capturedLogger();
  const open = (more: Partial<SpoolOptions> = {}) =>
    Spool.open({
      dir,
      fs: denoSpoolFs(),
      maxBytes: 1024 * 1024,
      now: Date.now,
      logger,
      counters,
      ...opts,
      ...more,
    });
  const segments = async () =>
    (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).filter((n) => n.endsWith(".seg"))
      .sort();
  const cleanup = () => Deno.remove(dir, { recursive: true });
  return { dir, counters, lines, open, segments, cleanup };
}

/** Generous claim limits. */
export const LIMITS = { maxItems: 5000, maxBytes: 4 * 1024 * 1024 };

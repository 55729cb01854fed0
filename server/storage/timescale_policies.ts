/**
 * TimescaleDB policies on `metric_samples`: compression after `compressAfterMs` and
 * retention after `retentionMs`. Applied at start-up from configuration, replaced only
 * when the configured interval differs from the scheduled one.
 */
import type { Queryable } from "../db/db.ts";
import { intervalLiteral } from "./days.ts";

/** Default age after which chunks are compressed (`METRICS_COMPRESS_AFTER`): 7 days. */
export const DEFAULT_COMPRESS_AFTER_MS = 7 * 86_400_000;

/** What `applyTimescalePolicies` changed. */
export interface PolicyChanges {
  compression: boolean;
  retention: boolean;
}

async function hasPolicy(db: Queryable, proc: string, key: string, interval: string) {
  const rows = await db.query(
    `SELECT 1 AS x FROM timescaledb_information.jobs
      WHERE hypertable_name = 'metric_samples' AND proc_name = $1
        AND (config->>$2)::interval = $3::interval`,
    [proc, key, interval],
  );
  return rows.length > 0;
}

/** Schedules (or re-schedules) compression and retention on the `metric_samples` hypertable. */
export async function applyTimescalePolicies(
  db: Queryable,
  opts: { retentionMs: number; compressAfterMs: number },
): Promise<PolicyChanges> {
  const changes: PolicyChanges = { compression: false, retention: false };
  const compressAfter = intervalLiteral(opts.compressAfterMs);
  if (!await hasPolicy(db, "policy_compression", "compress_after", compressAfter)) {
    await db.query("SELECT remove_compression_policy('metric_samples', if_exists => true)");
    await db.query("SELECT add_compression_policy('metric_samples', $1::interval)", [
      compressAfter,
    ]);
    changes.compression = true;
  }
  const retention = intervalLiteral(opts.retentionMs);
  if (!await hasPolicy(db, "policy_retention", "drop_after", retention)) {
    await db.query("SELECT remove_retention_policy('metric_samples', if_exists => true)");
    await db.query("SELECT add_retention_policy('metric_samples', $1::interval)", [retention]);
    changes.retention = true;
  }
  return changes;
}

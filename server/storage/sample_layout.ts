/**
 * How `metric_samples` is stored in the connected database, read from the catalog: the
 * first migration made it a hypertable when TimescaleDB was installed, a natively
 * partitioned table otherwise. Decided by the table, not by the extension, so a database
 * that gained the extension later keeps working.
 */
import type { Queryable } from "../db/db.ts";

/** `hypertable` (TimescaleDB chunks) or `partitioned` (native daily partitions). */
export type SampleLayout = "hypertable" | "partitioned";

/** Reads the layout of `metric_samples`; throws when the table is missing or neither. */
export async function detectSampleLayout(db: Queryable): Promise<SampleLayout> {
  const rows = await db.query<{ kind: string }>(
    "SELECT c.relkind::text AS kind FROM pg_class c WHERE c.oid = to_regclass('metric_samples')",
  );
  const kind = rows[0]?.kind;
  if (kind === "p") return "partitioned";
  if (kind === "r") {
    const ext = await db.query("SELECT 1 AS x FROM pg_extension WHERE extname = 'timescaledb'");
    if (ext.length > 0) {
      const ht = await db.query(
        "SELECT 1 AS x FROM timescaledb_information.hypertables WHERE hypertable_name = 'metric_samples'",
      );
      if (ht.length > 0) return "hypertable";
    }
  }
  throw new Error(
    kind === undefined
      ? "storage: table metric_samples does not exist (were the migrations applied?)"
      : "storage: metric_samples is neither partitioned nor a hypertable",
  );
}

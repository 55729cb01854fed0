/**
 * The oracle of the agent's end-to-end delivery tests: what the agent collected (from its
 * debug log, where each batch is logged once it is stored in the spool) against what the
 * database holds, sample by sample.
 */
import assert from "node:assert/strict";

/** One collected batch as the agent logged it. */
export interface CollectedBatch {
  id: string;
  metrics: number;
  /** Epoch ms of its earliest and latest sample. */
  first: number;
  last: number;
}

/** Every batch in the agent's "collected" log lines, oldest first. */
export function collectedBatches(logLines: readonly string[]): CollectedBatch[] {
  const out: CollectedBatch[] = [];
  for (const line of logLines) {
    if (!line.includes('"msg":"collected"')) continue;
    const entry = JSON.parse(line) as {
      batches: { id: string; metrics: number; first: string; last: string }[];
    };
    for (const b of entry.batches) {
      out.push({
        id: b.id,
        metrics: b.metrics,
        first: Date.parse(b.first),
        last: Date.parse(b.last),
      });
    }
  }
  return out.sort((a, b) => a.first - b.first);
}

/** Stored samples of a host: how many rows each (series, time) has. */
export interface StoredSample {
  series: string;
  ms: number;
  n: number;
}

/** Something that runs SQL (the test's own connection to the server's database). */
export interface SqlRunner {
  query(sql: string, params?: readonly unknown[]): Promise<Record<string, unknown>[]>;
}

/** Every (series, time) of `host` in the database, with its row count. */
export async function storedSamples(db: SqlRunner, host: string): Promise<StoredSample[]> {
  const rows = await db.query(
    `SELECT s.name || s.labels::text AS series,
            round(extract(epoch FROM m.time) * 1000)::float8 AS ms,
            count(*)::int AS n
       FROM metric_samples m JOIN series s ON s.id = m.series_id
      WHERE s.host = $1
      GROUP BY 1, 2`,
    [host],
  );
  return rows.map((r) => ({ series: String(r.series), ms: Number(r.ms), n: Number(r.n) }));
}

/** The newest sample time of `host` in epoch ms, or 0. */
export async function newestSampleMs(db: SqlRunner, host: string): Promise<number> {
  const [row] = await db.query(
    `SELECT coalesce(round(extract(epoch FROM max(m.time)) * 1000), 0)::float8 AS ms
       FROM metric_samples m JOIN series s ON s.id = m.series_id WHERE s.host = $1`,
    [host],
  );
  return Number(row.ms);
}

/** What the check found, for the test's own further assertions. */
export interface OnceReport {
  /** Stored samples that no logged batch accounts for. */
  unlogged: StoredSample[];
  totalStored: number;
}

/**
 * Asserts that every collected sample is stored exactly once: no (series, time) has two
 * rows, and for every logged batch the samples stored in its time span number exactly its
 * metrics (spans of different ticks never overlap: checked too).
 */
export function assertEachCollectedSampleStoredOnce(
  collected: readonly CollectedBatch[],
  stored: readonly StoredSample[],
): OnceReport {
  const dup = stored.filter((s) => s.n !== 1);
  assert.deepEqual(dup, [], "no sample stored twice (count per series and timestamp)");
  for (let i = 1; i < collected.length; i++) {
    assert.ok(collected[i].first > collected[i - 1].last, "tick spans do not overlap");
  }
  const times = stored.map((s) => s.ms).sort((a, b) => a - b);
  const countIn = (from: number, to: number) => {
    let lo = 0, hi = times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (times[mid] < from) lo = mid + 1;
      else hi = mid;
    }
    let n = 0;
    for (let i = lo; i < times.length && times[i] <= to; i++) n++;
    return n;
  };
  const missing: string[] = [];
  for (const b of collected) {
    const got = countIn(b.first, b.last);
    if (got !== b.metrics) missing.push(`${b.id}: ${got} stored of ${b.metrics}`);
  }
  assert.deepEqual(missing, [], "every collected batch stored in full");
  const inSomeBatch = (ms: number) => collected.some((b) => ms >= b.first && ms <= b.last);
  return {
    unlogged: stored.filter((s) => !inSomeBatch(s.ms)),
    totalStored: stored.length,
  };
}

/** A TCP port that was free a moment ago. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** The URL of the database `db` is connected to, on the TEST_DATABASE_URL server. */
export async function databaseUrlOf(db: SqlRunner): Promise<string> {
  const [{ name }] = await db.query("SELECT current_database() AS name");
  const url = new URL(Deno.env.get("TEST_DATABASE_URL")!);
  url.pathname = `/${name}`;
  return url.href;
}

/** Resolves after `ms`. */
export const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

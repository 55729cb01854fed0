/**
 * The SQL of a log search: every filter a parameter, `q` as an escaped `ILIKE` (served by the
 * trigram index where there is one), keyset order `(time DESC, id DESC)` and a keyset condition
 * for the next page — never OFFSET, so page 1,000 costs what page 1 does.
 *
 * @example
 * ```ts
 * const { sql, params } = buildSearchSql({ q: "50%", host: "web-1", minLevel: "warn", … });
 * // … WHERE host = $1 AND level >= $2 AND message ILIKE $3 ESCAPE '\' … ORDER BY logs.time DESC, logs.id DESC LIMIT $4
 * ```
 */
import { levelRank } from "../../shared/log_levels.ts";
import type { LogSearch } from "./log_store.ts";
import { microsToIso, microsToMs } from "./time.ts";

/** Columns every search and the live tail read, with int8 and times as text for both drivers. */
export const ENTRY_COLUMNS = `id::text AS id,
  floor(extract(epoch FROM time) * 1000000)::int8::text AS time_us,
  host, source, level, message, file_id, file_offset::text AS file_offset, truncated`;

/** `q` as an ILIKE pattern that matches it literally anywhere: `\`, `%` and `_` escaped. */
export function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, "\\$&")}%`;
}

/** The statement and parameters of a search; fetches `limit + 1` rows to know whether more follow. */
export function buildSearchSql(s: LogSearch): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  if (s.host !== null) where.push(`host = ${p(s.host)}`);
  if (s.minLevel !== null && levelRank(s.minLevel) > 0) {
    where.push(`level >= ${p(levelRank(s.minLevel))}::int2`);
  }
  if (s.source !== null) where.push(`source = ${p(s.source)}`);
  // Millisecond bounds are typed `timestamptz` parameters: in the plan made for their values the
  // comparison is with a constant, so the planner itself skips the partitions (or chunks) outside
  // the range instead of planning every one and pruning at run time.
  if (s.fromMs !== null) where.push(`time >= ${p(new Date(s.fromMs).toISOString())}::timestamptz`);
  if (s.toMs !== null) where.push(`time < ${p(new Date(s.toMs).toISOString())}::timestamptz`);
  if (s.after !== null) {
    // The row comparison is the cursor's exact condition, ties broken by id. Its time travels
    // as text cast in SQL, since the drivers round a typed timestamptz parameter to
    // milliseconds; that cast is not immutable, so it cannot prune partitions while planning.
    // The redundant bound before it can: the cursor's millisecond plus one, a typed parameter,
    // lets the planner drop the newer partitions and every index use the cursor.
    where.push(`time < ${p(new Date(microsToMs(s.after.timeUs) + 1).toISOString())}::timestamptz`);
    where.push(
      `(time, id) < (${p(microsToIso(s.after.timeUs))}::text::timestamptz, ${
        p(s.after.id.toString())
      }::int8)`,
    );
  }
  if (s.q !== null) where.push(`message ILIKE ${p(likePattern(s.q))} ESCAPE '\\'`);
  const sql = `SELECT ${ENTRY_COLUMNS} FROM logs` +
    (where.length > 0 ? ` WHERE ${where.join(" AND ")}` : "") +
    // Qualified: a bare `id` here would name the output column `id::text` and sort ids as text
    // ("9" after "10"), disagreeing with the keyset condition's int8 order at ties in time.
    ` ORDER BY logs.time DESC, logs.id DESC LIMIT ${p(s.limit + 1)}::int4`;
  return { sql, params };
}

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
import { microsToIso } from "./time.ts";

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
  if (s.fromMs !== null) {
    where.push(`time >= ${p(new Date(s.fromMs).toISOString())}::text::timestamptz`);
  }
  if (s.toMs !== null) where.push(`time < ${p(new Date(s.toMs).toISOString())}::text::timestamptz`);
  if (s.after !== null) {
    const t = p(microsToIso(s.after.timeUs));
    const id = p(s.after.id.toString());
    // The plain bound lets every index use the cursor; the row comparison breaks ties by id.
    where.push(`time <= ${t}::text::timestamptz`);
    where.push(`(time, id) < (${t}::text::timestamptz, ${id}::int8)`);
  }
  if (s.q !== null) where.push(`message ILIKE ${p(likePattern(s.q))} ESCAPE '\\'`);
  const sql = `SELECT ${ENTRY_COLUMNS} FROM logs` +
    (where.length > 0 ? ` WHERE ${where.join(" AND ")}` : "") +
    // Qualified: a bare `id` here would name the output column `id::text` and sort ids as text
    // ("9" after "10"), disagreeing with the keyset condition's int8 order at ties in time.
    ` ORDER BY logs.time DESC, logs.id DESC LIMIT ${p(s.limit + 1)}::int4`;
  return { sql, params };
}

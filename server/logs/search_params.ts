/**
 * Parsing the query string of `GET /api/v1/logs/query` and `/logs/stream` into a search.
 * Every failure names the parameter; unknown and repeated parameters are refused.
 *
 * @example
 * ```ts
 * const r = parseLogSearch(new URLSearchParams("q=timeout&level=warn&limit=50"), { stream: false });
 * // r.value.search: { q: "timeout", minLevel: "warn", limit: 50, … }
 * ```
 */
import { LOG_LIMITS } from "../../shared/log_entry.ts";
import { type LogEntryLevel, normalizeLevelName } from "../../shared/log_levels.ts";
import { parseInstant, unstorableText, validateHost } from "../../shared/metric.ts";
import { decodeCursor } from "./cursor.ts";
import type { LogSearch } from "./log_store.ts";

/** Entries per page when `limit` is not given. */
export const DEFAULT_LOG_LIMIT = 100;
/** Most entries per page. */
export const MAX_LOG_LIMIT = 1000;
/** Longest `q`, in characters. */
export const MAX_Q_LENGTH = 1000;

const FILTERS = ["q", "host", "level", "source"] as const;
const QUERY_ONLY = ["from", "to", "limit", "cursor"] as const;

/** A parsed search, and the canonical text of its filters (what a cursor is bound to). */
export interface ParsedLogSearch {
  search: LogSearch;
  filters: string;
}

type Result = { ok: true; value: ParsedLogSearch } | { ok: false; error: string };

const fail = (error: string): Result => ({ ok: false, error });

/**
 * Parses the parameters. With `stream`, only the filters (`q`, `host`, `level`, `source`) are
 * allowed: a live tail has no range, page size or cursor.
 */
export function parseLogSearch(params: URLSearchParams, opts: { stream: boolean }): Result {
  const known = new Set<string>(opts.stream ? FILTERS : [...FILTERS, ...QUERY_ONLY]);
  const seen = new Set<string>();
  for (const key of params.keys()) {
    if (seen.has(key)) return fail(`${key} is given more than once`);
    seen.add(key);
    if (!known.has(key)) {
      return fail(
        opts.stream && (QUERY_ONLY as readonly string[]).includes(key)
          ? `${key} is not supported by the live tail (it streams new entries only)`
          : `unknown parameter ${JSON.stringify(key)}`,
      );
    }
  }
  const get = (k: string) => {
    const v = params.get(k);
    return v === null || v === "" ? null : v;
  };

  const q = get("q");
  if (q !== null) {
    if (q.length > MAX_Q_LENGTH) return fail(`q is longer than ${MAX_Q_LENGTH} characters`);
    const problem = unstorableText(q);
    if (problem) return fail(`q ${problem}`);
  }
  const host = get("host");
  if (host !== null) {
    const problem = validateHost(host);
    if (problem) return fail(problem);
  }
  let minLevel: LogEntryLevel | null = null;
  const levelText = get("level");
  if (levelText !== null) {
    minLevel = normalizeLevelName(levelText);
    if (!minLevel) return fail("level must be one of debug, info, warn, error, fatal");
  }
  const source = get("source");
  if (source !== null) {
    if (source.length > LOG_LIMITS.sourceMaxLength) {
      return fail(`source is longer than ${LOG_LIMITS.sourceMaxLength} characters`);
    }
    const problem = unstorableText(source);
    if (problem) return fail(`source ${problem}`);
  }
  let fromMs: number | null = null;
  let toMs: number | null = null;
  for (const key of ["from", "to"] as const) {
    const v = get(key);
    if (v === null) continue;
    const ms = parseInstant(v);
    if (ms === null) return fail(`${key} must be an ISO 8601 instant with an offset`);
    if (key === "from") fromMs = ms;
    else toMs = ms;
  }
  if (fromMs !== null && toMs !== null && fromMs >= toMs) {
    return fail("from must be earlier than to");
  }
  let limit = DEFAULT_LOG_LIMIT;
  const limitText = get("limit");
  if (limitText !== null) {
    if (
      !/^\d{1,7}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > MAX_LOG_LIMIT
    ) {
      return fail(`limit must be a whole number from 1 to ${MAX_LOG_LIMIT}`);
    }
    limit = Number(limitText);
  }
  const filters = JSON.stringify([q, host, minLevel, source, fromMs, toMs]);
  let after = null;
  const cursor = get("cursor");
  if (cursor !== null) {
    const decoded = decodeCursor(cursor, filters);
    if (!decoded.ok) return fail(decoded.error);
    after = decoded.value;
  }
  return {
    ok: true,
    value: {
      search: { q, host, minLevel, source, fromMs, toMs, limit, after },
      filters,
    },
  };
}

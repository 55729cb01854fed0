/**
 * Series ids for (host, name, labels): from an in-memory cache, and on a miss from the
 * `series` table in two statements for all missing series of a batch (insert what is
 * new, then read every id), never one round trip per sample.
 */
import { errorMessage, type Queryable } from "../db/db.ts";
import { seriesKey } from "./labels.ts";

/** Default bound on cached series ids; beyond it the oldest entries are forgotten. */
export const DEFAULT_MAX_CACHED_SERIES = 1_000_000;

/** One series to resolve; `labels` is canonical JSON (`canonicalLabels`). */
export interface SeriesRef {
  host: string;
  name: string;
  labels: string;
}

const INSERT_SQL = `INSERT INTO series (host, name, labels)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[]::jsonb[]) AS k(host, name, labels)
  ON CONFLICT DO NOTHING`;

const SELECT_SQL = `SELECT s.id, k.ord
  FROM unnest($1::text[], $2::text[], $3::text[]::jsonb[], $4::int4[]) AS k(host, name, labels, ord)
  JOIN series s ON s.host = k.host AND s.name = k.name
    AND md5(s.labels::text) = md5(k.labels::text) AND s.labels = k.labels`;

/** Maps series to ids, creating rows for new series. */
export class SeriesResolver {
  readonly #ids = new Map<string, number>();
  readonly #max: number;

  constructor(private readonly db: Queryable, opts: { maxCached?: number } = {}) {
    this.#max = opts.maxCached ?? DEFAULT_MAX_CACHED_SERIES;
  }

  /** The cached id of a series key (`seriesKey`), if any. */
  cached(key: string): number | undefined {
    return this.#ids.get(key);
  }

  /** Number of cached ids. */
  get size(): number {
    return this.#ids.size;
  }

  /** Resolves `refs` (distinct, not cached) to ids, creating missing series; caches them. */
  async resolve(refs: readonly SeriesRef[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (refs.length === 0) return out;
    const hosts = refs.map((r) => r.host);
    const names = refs.map((r) => r.name);
    const labels = refs.map((r) => r.labels);
    const ords = refs.map((_, i) => i);
    let rows: { id: unknown; ord: unknown }[];
    try {
      await this.db.query(INSERT_SQL, [hosts, names, labels]);
      rows = await this.db.query(SELECT_SQL, [hosts, names, labels, ords]);
    } catch (e) {
      throw new Error(`storage: resolving ${refs.length} series: ${errorMessage(e)}`, {
        cause: e,
      });
    }
    for (const row of rows) {
      const ref = refs[Number(row.ord)];
      const key = seriesKey(ref.host, ref.name, ref.labels);
      const id = Number(row.id);
      out.set(key, id);
      this.#remember(key, id);
    }
    if (out.size !== refs.length) {
      throw new Error(`storage: resolving series: ${refs.length - out.size} series have no id`);
    }
    return out;
  }

  #remember(key: string, id: number): void {
    if (this.#ids.size >= this.#max) {
      const oldest = this.#ids.keys().next();
      if (!oldest.done) this.#ids.delete(oldest.value);
    }
    this.#ids.set(key, id);
  }
}

/**
 * Silences in the database (`alert_silences`), shared by every replica: created and
 * expired through the API on any replica, read by the evaluating one every cycle.
 */
import { errorMessage, type Queryable } from "../db/db.ts";
import type { Silence, SilenceInput } from "./silences.ts";
import { toMs } from "./sql_time.ts";

function rowToSilence(r: Record<string, unknown>): Silence {
  return {
    id: r.id as string,
    matchers: r.matchers as Silence["matchers"],
    startsAt: toMs(r.starts_at)!,
    endsAt: toMs(r.ends_at)!,
    comment: r.comment as string,
    createdBy: r.created_by as string,
    createdAt: toMs(r.created_at)!,
  };
}

const COLUMNS = "id, matchers, starts_at, ends_at, comment, created_by, created_at";

/** Reads and writes silences. */
export class SilenceStore {
  constructor(private readonly db: Queryable) {}

  /** Stores a new silence and returns it. */
  async create(input: SilenceInput, id: string, createdBy: string, now: number): Promise<Silence> {
    const rows = await this.db.query(
      `INSERT INTO alert_silences (${COLUMNS}) VALUES ($1, $2::text::jsonb, $3, $4, $5, $6, $7)
        RETURNING ${COLUMNS}`,
      [
        id,
        JSON.stringify(input.matchers),
        new Date(input.startsAt),
        new Date(input.endsAt),
        input.comment,
        createdBy,
        new Date(now),
      ],
    );
    return rowToSilence(rows[0]);
  }

  /** Silences not yet ended at `now` (pending and active); with `all`, expired ones too. */
  async list(now: number, all = false): Promise<Silence[]> {
    try {
      const rows = await this.db.query(
        `SELECT ${COLUMNS} FROM alert_silences WHERE $2 OR ends_at > $1
          ORDER BY ends_at DESC, id LIMIT 10000`,
        [new Date(now), all],
      );
      return rows.map(rowToSilence);
    } catch (e) {
      throw new Error(`alerts: reading silences: ${errorMessage(e)}`, { cause: e });
    }
  }

  /** Ends a silence now; `missing` when no such id, `expired` when it had already ended. */
  async expire(id: string, now: number): Promise<"expired-now" | "expired" | "missing"> {
    const rows = await this.db.query<{ ended: boolean }>(
      `WITH s AS (SELECT id, ends_at FROM alert_silences WHERE id = $1),
        u AS (UPDATE alert_silences a SET ends_at = $2, starts_at = least(a.starts_at, $2)
          FROM s WHERE a.id = s.id AND s.ends_at > $2 RETURNING a.id)
        SELECT (SELECT count(*) FROM u) > 0 AS ended FROM s`,
      [id, new Date(now)],
    );
    if (rows.length === 0) return "missing";
    return rows[0].ended ? "expired-now" : "expired";
  }

  /** Deletes silences that ended before `cutoff`; returns how many. */
  async deleteEndedBefore(cutoff: number): Promise<number> {
    const rows = await this.db.query(
      `WITH gone AS (DELETE FROM alert_silences WHERE ends_at < $1 RETURNING 1)
        SELECT count(*)::int AS n FROM gone`,
      [new Date(cutoff)],
    );
    return Number(rows[0]?.n ?? 0);
  }
}

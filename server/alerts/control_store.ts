/**
 * The one `alert_control` row every replica shares: the reload generation (a reload on
 * any replica bumps it; the evaluating replica reloads when it changes) and which
 * replica evaluated last.
 */
import type { Queryable } from "../db/db.ts";
import { toMs } from "./sql_time.ts";

/** Reads and bumps the control row. */
export class ControlStore {
  constructor(private readonly db: Queryable) {}

  /** The current reload generation. */
  async generation(): Promise<number> {
    const rows = await this.db.query(
      "SELECT reload_generation::int8::text AS g FROM alert_control WHERE id = 1",
    );
    return Number(rows[0]?.g ?? 0);
  }

  /** Asks every replica to reload; returns the new generation. */
  async bumpGeneration(): Promise<number> {
    const rows = await this.db.query(
      `UPDATE alert_control SET reload_generation = reload_generation + 1 WHERE id = 1
        RETURNING reload_generation::text AS g`,
    );
    return Number(rows[0]?.g ?? 0);
  }

  /** Which replica evaluated last, and when. */
  async evaluator(): Promise<{ replica: string | null; evaluatedAt: number | null }> {
    const rows = await this.db.query(
      "SELECT evaluator, evaluated_at FROM alert_control WHERE id = 1",
    );
    return {
      replica: (rows[0]?.evaluator as string | null) ?? null,
      evaluatedAt: toMs(rows[0]?.evaluated_at),
    };
  }
}

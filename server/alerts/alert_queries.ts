/**
 * What the alert API reads: instances (filtered, sorted by severity then time), counts per
 * rule and state, rule health, transitions. Any replica answers from the database.
 */
import type { Queryable } from "../db/db.ts";
import { SEVERITIES } from "./rule.ts";
import type { AlertState } from "./state_machine.ts";
import { isoOf, toMs } from "./sql_time.ts";

/** Filters of `GET /api/v1/alerts`. */
export interface AlertFilter {
  states: AlertState[];
  rule?: string;
  host?: string;
  limit: number;
}

/** One instance row. */
export interface AlertRow {
  rule: string;
  host: string;
  labels: Record<string, string>;
  fingerprint: string;
  state: AlertState;
  severity: string;
  value: number | null;
  since: string;
  active_since: string | null;
  fired_at: string | null;
  notified_at: string | null;
  last_evaluation: string | null;
  summary: string;
  description: string;
}

/** One transition row. */
export interface TransitionRow {
  time: string;
  rule: string;
  host: string;
  labels: Record<string, string>;
  fingerprint: string;
  from: string;
  to: string;
  value: number | null;
  reason: string | null;
}

/** A rule's health as last recorded. */
export interface RuleStatusRow {
  lastEval: number;
  durationMs: number;
  error: string | null;
  series: number;
}

const SEVERITY_ORDER = `CASE a.severity ${
  SEVERITIES.map((s, i) => `WHEN '${s}' THEN ${i}`).join(" ")
} ELSE ${SEVERITIES.length} END`;

const numOrNull = (v: unknown) => v === null || v === undefined ? null : Number(v);

/** The read side of alerting. */
export class AlertQueries {
  constructor(private readonly db: Queryable) {}

  /** Instances matching `f`, most severe first, then most recent change first. */
  async alerts(f: AlertFilter): Promise<AlertRow[]> {
    const rows = await this.db.query(
      `SELECT a.rule, a.host, a.labels, a.fingerprint, a.state, a.severity, a.value,
          a.changed_at, a.active_since, a.fired_at, a.notified_at,
          greatest(a.last_eval, r.last_eval) AS last_evaluation, a.summary, a.description
        FROM alert_instances a LEFT JOIN alert_rule_status r ON r.rule = a.rule
        WHERE a.state = ANY($1::text[])
          AND ($2::text IS NULL OR a.rule = $2) AND ($3::text IS NULL OR a.host = $3)
        ORDER BY ${SEVERITY_ORDER}, a.changed_at DESC, a.rule, a.host
        LIMIT $4`,
      [f.states, f.rule ?? null, f.host ?? null, f.limit],
    );
    return rows.map((r) => ({
      rule: r.rule as string,
      host: r.host as string,
      labels: (r.labels ?? {}) as Record<string, string>,
      fingerprint: r.fingerprint as string,
      state: r.state as AlertState,
      severity: r.severity as string,
      value: numOrNull(r.value),
      since: isoOf(r.changed_at)!,
      active_since: isoOf(r.active_since),
      fired_at: isoOf(r.fired_at),
      notified_at: isoOf(r.notified_at),
      last_evaluation: isoOf(r.last_evaluation),
      summary: r.summary as string,
      description: r.description as string,
    }));
  }

  /** Instance counts per rule and state. */
  async counts(): Promise<Map<string, Record<AlertState, number>>> {
    const rows = await this.db.query(
      "SELECT rule, state, count(*)::int AS n FROM alert_instances GROUP BY rule, state",
    );
    const out = new Map<string, Record<AlertState, number>>();
    for (const r of rows) {
      let c = out.get(r.rule as string);
      if (!c) out.set(r.rule as string, c = { ok: 0, pending: 0, firing: 0, nodata: 0 });
      c[r.state as AlertState] = Number(r.n);
    }
    return out;
  }

  /** The last recorded health of every rule. */
  async ruleStatus(): Promise<Map<string, RuleStatusRow>> {
    const rows = await this.db.query(
      "SELECT rule, last_eval, duration_ms, error, series FROM alert_rule_status",
    );
    return new Map(rows.map((r) => [r.rule as string, {
      lastEval: toMs(r.last_eval)!,
      durationMs: Number(r.duration_ms),
      error: (r.error as string | null) ?? null,
      series: Number(r.series),
    }]));
  }

  /** Transitions in [from, to], newest first. */
  async history(q: {
    from: number;
    to: number;
    rule?: string;
    host?: string;
    limit: number;
  }): Promise<TransitionRow[]> {
    const rows = await this.db.query(
      `SELECT time, rule, host, labels, fingerprint, from_state, to_state, value, reason
        FROM alert_transitions
        WHERE time >= $1 AND time <= $2 AND ($3::text IS NULL OR rule = $3)
          AND ($4::text IS NULL OR host = $4)
        ORDER BY time DESC, rule, host LIMIT $5`,
      [new Date(q.from), new Date(q.to), q.rule ?? null, q.host ?? null, q.limit],
    );
    return rows.map((r) => ({
      time: isoOf(r.time)!,
      rule: r.rule as string,
      host: r.host as string,
      labels: (r.labels ?? {}) as Record<string, string>,
      fingerprint: r.fingerprint as string,
      from: r.from_state as string,
      to: r.to_state as string,
      value: numOrNull(r.value),
      reason: (r.reason as string | null) ?? null,
    }));
  }

  /** Deletes transitions older than `cutoff`; returns how many. */
  async deleteHistoryBefore(cutoff: number): Promise<number> {
    const rows = await this.db.query(
      `WITH gone AS (DELETE FROM alert_transitions WHERE time < $1 RETURNING 1)
        SELECT count(*)::int AS n FROM gone`,
      [new Date(cutoff)],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** Retires a host: its row goes, so HostDown and every rule stop alerting on it. */
  async retireHost(host: string): Promise<boolean> {
    const rows = await this.db.query("DELETE FROM hosts WHERE host = $1 RETURNING host", [host]);
    return rows.length > 0;
  }
}

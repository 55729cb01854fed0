/**
 * Persistence of the evaluator's work: loading every instance when a replica becomes the
 * evaluator, and writing one cycle (changed instances, removed instances, transitions,
 * outbox messages, rule health, who evaluated) in one transaction. Bulk statements take
 * one JSON document each (`jsonb_to_recordset`), so a cycle is a handful of round trips
 * whatever the number of rows, and the same SQL runs on PostgreSQL and PGlite.
 */
import { errorMessage, type Queryable } from "../db/db.ts";
import type { OutboxMessage } from "../notify/notification.ts";
import { insertMessages } from "../notify/outbox_store.ts";
import type { Instance, Transition } from "./instance.ts";
import { iso, toMs } from "./sql_time.ts";
import type { AlertState } from "./state_machine.ts";

/** The health of one rule after a cycle. */
export interface RuleStatus {
  rule: string;
  lastEval: number;
  durationMs: number;
  error: string | null;
  /** Series (instances) the rule saw with data. */
  series: number;
}

/** Everything one cycle writes. */
export interface CycleWrite {
  now: number;
  replica: string;
  upserts: Instance[];
  deletes: Pick<Instance, "rule" | "host" | "labels">[];
  transitions: Transition[];
  messages: OutboxMessage[];
  statuses: RuleStatus[];
}

const INSTANCE_COLUMNS = `rule text, host text, labels jsonb, fingerprint text, state text,
  severity text, value float8, active_since timestamptz, fired_at timestamptz,
  keep_firing_since timestamptz, notified_at timestamptz, last_eval timestamptz,
  changed_at timestamptz, summary text, description text`;

const UPSERT_SQL = `INSERT INTO alert_instances AS a (rule, host, labels, fingerprint, state,
    severity, value, active_since, fired_at, keep_firing_since, notified_at, last_eval,
    changed_at, summary, description)
  SELECT rule, host, labels, fingerprint, state, severity, value, active_since, fired_at,
    keep_firing_since, notified_at, last_eval, changed_at, summary, description
  FROM jsonb_to_recordset($1::text::jsonb) AS x(${INSTANCE_COLUMNS})
  ON CONFLICT (host, rule, labels_md5) DO UPDATE SET
    fingerprint = excluded.fingerprint, state = excluded.state, severity = excluded.severity,
    value = excluded.value, active_since = excluded.active_since, fired_at = excluded.fired_at,
    keep_firing_since = excluded.keep_firing_since, notified_at = excluded.notified_at,
    last_eval = excluded.last_eval, changed_at = excluded.changed_at,
    summary = excluded.summary, description = excluded.description`;

const DELETE_SQL = `DELETE FROM alert_instances a
  USING jsonb_to_recordset($1::text::jsonb) AS x(rule text, host text, labels jsonb)
  WHERE a.host = x.host AND a.rule = x.rule AND a.labels_md5 = md5(x.labels::text)`;

const TRANSITIONS_SQL = `INSERT INTO alert_transitions (time, rule, host, labels, fingerprint,
    from_state, to_state, value, reason)
  SELECT time, rule, host, labels, fingerprint, from_state, to_state, value, reason
  FROM jsonb_to_recordset($1::text::jsonb) AS x(time timestamptz, rule text, host text,
    labels jsonb, fingerprint text, from_state text, to_state text, value float8, reason text)`;

const STATUS_SQL = `INSERT INTO alert_rule_status AS r (rule, last_eval, duration_ms, error, series)
  SELECT rule, last_eval, duration_ms, error, series
  FROM jsonb_to_recordset($1::text::jsonb) AS x(rule text, last_eval timestamptz,
    duration_ms float8, error text, series int)
  ON CONFLICT (rule) DO UPDATE SET last_eval = excluded.last_eval,
    duration_ms = excluded.duration_ms, error = excluded.error, series = excluded.series`;

const CONTROL_SQL = "UPDATE alert_control SET evaluator = $1, evaluated_at = $2 WHERE id = 1";

const LOAD_SQL = `SELECT rule, host, labels, fingerprint, state, severity, value, active_since,
    fired_at, keep_firing_since, notified_at, changed_at, summary, description
  FROM alert_instances`;

/** Writes one cycle's rows with the statements of this module (inside the caller's transaction). */
export async function writeCycle(tx: Queryable, w: CycleWrite): Promise<void> {
  if (w.upserts.length > 0) {
    const rows = w.upserts.map((i) => ({
      rule: i.rule,
      host: i.host,
      labels: i.labels,
      fingerprint: i.fingerprint,
      state: i.s.state,
      severity: i.severity,
      value: i.s.value,
      active_since: iso(i.s.activeSince),
      fired_at: iso(i.s.firedAt),
      keep_firing_since: iso(i.s.keepFiringSince),
      notified_at: iso(i.s.notifiedAt),
      last_eval: iso(w.now),
      changed_at: iso(i.s.changedAt),
      summary: i.summary,
      description: i.description,
    }));
    await tx.query(UPSERT_SQL, [JSON.stringify(rows)]);
  }
  if (w.deletes.length > 0) {
    const rows = w.deletes.map((d) => ({ rule: d.rule, host: d.host, labels: d.labels }));
    await tx.query(DELETE_SQL, [JSON.stringify(rows)]);
  }
  if (w.transitions.length > 0) {
    const rows = w.transitions.map((t) => ({
      time: iso(t.time),
      rule: t.rule,
      host: t.host,
      labels: t.labels,
      fingerprint: t.fingerprint,
      from_state: t.from,
      to_state: t.to,
      value: t.value,
      reason: t.reason,
    }));
    await tx.query(TRANSITIONS_SQL, [JSON.stringify(rows)]);
  }
  if (w.messages.length > 0) await insertMessages(tx, w.messages);
  // Health rows of rules no longer configured go (the statuses list every rule evaluated).
  await tx.query("DELETE FROM alert_rule_status WHERE NOT (rule = ANY($1::text[]))", [
    w.statuses.map((s) => s.rule),
  ]);
  if (w.statuses.length > 0) {
    const rows = w.statuses.map((s) => ({
      rule: s.rule,
      last_eval: iso(s.lastEval),
      duration_ms: s.durationMs,
      error: s.error,
      series: s.series,
    }));
    await tx.query(STATUS_SQL, [JSON.stringify(rows)]);
  }
  await tx.query(CONTROL_SQL, [w.replica, new Date(w.now)]);
}

/** Every stored instance, grouped by rule and keyed by `keyOf`. */
export async function loadInstances(
  q: Queryable,
  keyOf: (host: string, labels: Record<string, string>) => string,
): Promise<Map<string, Map<string, Instance>>> {
  let rows: Record<string, unknown>[];
  try {
    rows = await q.query(LOAD_SQL);
  } catch (e) {
    throw new Error(`alerts: loading alert instances: ${errorMessage(e)}`, { cause: e });
  }
  const out = new Map<string, Map<string, Instance>>();
  for (const r of rows) {
    const rule = r.rule as string;
    const host = r.host as string;
    const labels = (r.labels ?? {}) as Record<string, string>;
    let byKey = out.get(rule);
    if (!byKey) out.set(rule, byKey = new Map());
    byKey.set(keyOf(host, labels), {
      rule,
      host,
      labels,
      fingerprint: r.fingerprint as string,
      severity: r.severity as string,
      summary: r.summary as string,
      description: r.description as string,
      s: {
        state: r.state as AlertState,
        value: r.value === null || r.value === undefined ? null : Number(r.value),
        activeSince: toMs(r.active_since),
        firedAt: toMs(r.fired_at),
        keepFiringSince: toMs(r.keep_firing_since),
        notifiedAt: toMs(r.notified_at),
        changedAt: toMs(r.changed_at)!,
      },
    });
  }
  return out;
}

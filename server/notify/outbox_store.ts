/**
 * The durable notification outbox (`alert_notifications`): messages are inserted in the
 * evaluator's transaction, delivered in order per receiver, and keep their delivery
 * status (attempts, last HTTP status or error, delivered or failed) for the API.
 */
import { errorMessage, type Queryable } from "../db/db.ts";
import { isoOf, toMs } from "../alerts/sql_time.ts";
import type { OutboxMessage } from "./notification.ts";

/** Delivery states of a message. */
export const DELIVERY_STATES = ["pending", "delivered", "failed"] as const;
/** One delivery state. */
export type DeliveryState = typeof DELIVERY_STATES[number];

/** A message waiting for its next attempt. */
export interface PendingMessage {
  id: string;
  receiver: string;
  receiverType: string;
  body: string;
  attempts: number;
  createdAt: number;
  nextAttemptAt: number;
}

/** A message as the notifications API lists it. */
export interface NotificationRecord {
  id: string;
  receiver: string;
  receiver_type: string;
  status: string;
  rule: string;
  alerts: number;
  delivery: DeliveryState;
  attempts: number;
  created_at: string;
  next_attempt_at: string | null;
  last_attempt_at: string | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: string | null;
}

const INSERT_SQL = `INSERT INTO alert_notifications (id, receiver, receiver_type, status, rule,
    alert_count, body, created_at, next_attempt_at)
  SELECT id, receiver, receiver_type, status, rule, alert_count, body, created_at, created_at
  FROM jsonb_to_recordset($1::text::jsonb) AS x(ord int, id text, receiver text,
    receiver_type text, status text, rule text, alert_count int, body text, created_at timestamptz)
  ORDER BY ord`;

/** The oldest pending message of each receiver: delivery is in order per receiver. */
const HEADS_SQL = `SELECT DISTINCT ON (receiver) id, receiver, receiver_type, body, attempts,
    created_at, next_attempt_at
  FROM alert_notifications WHERE delivery = 'pending'
  ORDER BY receiver, seq`;

const ATTEMPT_SQL = `UPDATE alert_notifications SET delivery = $2, attempts = attempts + 1,
    last_attempt_at = $3, last_status = $4, last_error = $5, next_attempt_at = $6,
    delivered_at = CASE WHEN $2 = 'delivered' THEN $3 ELSE delivered_at END
  WHERE id = $1 AND delivery = 'pending'`;

/** Inserts `messages` (in order) inside the caller's transaction. */
export async function insertMessages(
  tx: Queryable,
  messages: readonly OutboxMessage[],
): Promise<void> {
  const rows = messages.map((m, ord) => ({
    ord,
    id: m.id,
    receiver: m.receiver,
    receiver_type: m.receiverType,
    status: m.status,
    rule: m.rule,
    alert_count: m.alertCount,
    body: m.body,
    created_at: new Date(m.createdAt).toISOString(),
  }));
  await tx.query(INSERT_SQL, [JSON.stringify(rows)]);
}

/** Reads and updates the outbox. */
export class OutboxStore {
  constructor(private readonly db: Queryable) {}

  /** The head (oldest pending message) of every receiver's queue. */
  async heads(): Promise<PendingMessage[]> {
    try {
      const rows = await this.db.query(HEADS_SQL);
      return rows.map((r) => ({
        id: r.id as string,
        receiver: r.receiver as string,
        receiverType: r.receiver_type as string,
        body: r.body as string,
        attempts: Number(r.attempts),
        createdAt: toMs(r.created_at)!,
        nextAttemptAt: toMs(r.next_attempt_at)!,
      }));
    } catch (e) {
      throw new Error(`notify: reading the outbox: ${errorMessage(e)}`, { cause: e });
    }
  }

  /** Records one attempt: the new delivery state, the HTTP status or error, the next attempt time. */
  async recordAttempt(
    id: string,
    delivery: DeliveryState,
    at: number,
    status: number | null,
    error: string | null,
    nextAttemptAt: number,
  ): Promise<void> {
    await this.db.query(ATTEMPT_SQL, [
      id,
      delivery,
      new Date(at),
      status,
      error,
      new Date(nextAttemptAt),
    ]);
  }

  /** Messages newest first, optionally only one delivery state. */
  async list(opts: { delivery?: DeliveryState; limit: number }): Promise<NotificationRecord[]> {
    const rows = await this.db.query(
      `SELECT id, receiver, receiver_type, status, rule, alert_count, delivery, attempts,
          created_at, next_attempt_at, last_attempt_at, last_status, last_error, delivered_at
        FROM alert_notifications WHERE ($1::text IS NULL OR delivery = $1)
        ORDER BY seq DESC LIMIT $2`,
      [opts.delivery ?? null, opts.limit],
    );
    return rows.map((r) => ({
      id: r.id as string,
      receiver: r.receiver as string,
      receiver_type: r.receiver_type as string,
      status: r.status as string,
      rule: r.rule as string,
      alerts: Number(r.alert_count),
      delivery: r.delivery as DeliveryState,
      attempts: Number(r.attempts),
      created_at: isoOf(r.created_at)!,
      next_attempt_at: r.delivery === "pending" ? isoOf(r.next_attempt_at) : null,
      last_attempt_at: isoOf(r.last_attempt_at),
      last_status: r.last_status === null ? null : Number(r.last_status),
      last_error: (r.last_error as string | null) ?? null,
      delivered_at: isoOf(r.delivered_at),
    }));
  }

  /** Deletes delivered and failed messages created before `cutoff`; returns how many. */
  async deleteFinishedBefore(cutoff: number): Promise<number> {
    const rows = await this.db.query(
      `WITH gone AS (DELETE FROM alert_notifications
          WHERE delivery <> 'pending' AND created_at < $1 RETURNING 1)
        SELECT count(*)::int AS n FROM gone`,
      [new Date(cutoff)],
    );
    return Number(rows[0]?.n ?? 0);
  }
}

/**
 * Delivers outbox messages: one attempt at a time per receiver (so a receiver sees
 * `firing` before `resolved`), a 15 s timeout, the Standard Webhooks headers when the
 * receiver has a secret (same `webhook-id` on every attempt, fresh timestamp and
 * signature), retries with jittered exponential backoff for up to 24 h on network errors,
 * 5xx and 429, and no retry on any other answer.
 *
 * @example
 * ```ts
 * const worker = new DeliveryWorker({ outbox, receivers: () => holder.current.receivers, fetch, now: Date.now, random: Math.random, log });
 * await worker.drain(); // attempts every due message, repeatedly while it makes progress
 * ```
 */
import { backoffDelay } from "../../shared/backoff.ts";
import type { Logger } from "../../shared/log.ts";
import { errorMessage } from "../db/db.ts";
import type { DeliveryState, PendingMessage } from "./outbox_store.ts";
import type { Receiver } from "./receiver.ts";
import { signatureHeaders } from "./standard_webhooks.ts";

/** How long one attempt may take. */
export const DELIVERY_TIMEOUT_MS = 15_000;
/** How long a message is retried before it is given up. */
export const GIVE_UP_AFTER_MS = 24 * 3_600_000;
/** Backoff between attempts: from 2 s, doubling, at most 10 min, ±25 %. */
export const RETRY_BACKOFF = { baseMs: 2_000, maxMs: 600_000, jitter: 0.25 } as const;
/** Longest `Retry-After` honoured. */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/** What the worker needs from the outbox. */
export interface OutboxPort {
  heads(): Promise<PendingMessage[]>;
  recordAttempt(
    id: string,
    delivery: DeliveryState,
    at: number,
    status: number | null,
    error: string | null,
    nextAttemptAt: number,
  ): Promise<void>;
}

/** Options of the worker; everything from outside is injected. */
export interface DeliveryOptions {
  outbox: OutboxPort;
  receivers: () => readonly Receiver[];
  fetch: typeof fetch;
  now: () => number;
  random: () => number;
  log: Logger;
  timeoutMs?: number;
  giveUpAfterMs?: number;
  backoff?: { baseMs: number; maxMs: number; jitter: number };
  /** Called with each attempt's receiver and outcome (self-metrics). */
  onAttempt?: (receiver: string, outcome: DeliveryState | "retry") => void;
}

/** What to do after an HTTP answer: done, try again later, or give up. */
export function classifyStatus(status: number): "delivered" | "retry" | "failed" {
  if (status >= 200 && status < 300) return "delivered";
  if (status === 429 || status >= 500) return "retry";
  return "failed";
}

/** Milliseconds of a `Retry-After` header in seconds, or null. */
export function parseRetryAfter(value: string | null): number | null {
  if (value === null || !/^\d+$/.test(value.trim())) return null;
  return Math.min(Number(value) * 1000, MAX_RETRY_AFTER_MS);
}

/** The result of one round. */
export interface RoundResult {
  attempted: number;
  delivered: number;
}

/** Sends due outbox messages. */
export class DeliveryWorker {
  readonly #o: DeliveryOptions;
  constructor(opts: DeliveryOptions) {
    this.#o = opts;
  }

  /** Attempts the head message of every receiver whose next attempt is due. */
  async round(): Promise<RoundResult> {
    const now = this.#o.now();
    const heads = (await this.#o.outbox.heads()).filter((m) => m.nextAttemptAt <= now);
    const results = await Promise.all(heads.map((m) => this.#attempt(m)));
    results.forEach((r, i) => this.#o.onAttempt?.(heads[i].receiver, r));
    return {
      attempted: heads.length,
      delivered: results.filter((r) => r === "delivered").length,
    };
  }

  /** Runs rounds while they deliver something (a backlog drains at once), at most `maxRounds`. */
  async drain(maxRounds = 100): Promise<RoundResult> {
    const total = { attempted: 0, delivered: 0 };
    for (let i = 0; i < maxRounds; i++) {
      const r = await this.round();
      total.attempted += r.attempted;
      total.delivered += r.delivered;
      if (r.delivered === 0) break;
    }
    return total;
  }

  async #attempt(m: PendingMessage): Promise<DeliveryState | "retry"> {
    const o = this.#o;
    const log = o.log.child({ notification: m.id, receiver: m.receiver });
    const receiver = o.receivers().find((r) => r.name === m.receiver);
    const at = o.now();
    if (!receiver) {
      const error = `receiver ${JSON.stringify(m.receiver)} is no longer configured`;
      log.error("notification dropped", { error });
      await o.outbox.recordAttempt(m.id, "failed", at, null, error, at);
      return "failed";
    }
    let status: number | null = null;
    let error: string | null = null;
    let retryAfter: number | null = null;
    try {
      const headers: Record<string, string> = {
        "content-type": "application/json",
        "user-agent": "miniobserv-alerts",
      };
      if (receiver.secret) {
        Object.assign(
          headers,
          await signatureHeaders(receiver.secret, m.id, Math.floor(at / 1000), m.body),
        );
      } else {
        headers["webhook-id"] = m.id;
      }
      const res = await o.fetch(receiver.url, {
        method: "POST",
        headers,
        body: m.body,
        redirect: "manual",
        signal: AbortSignal.timeout(o.timeoutMs ?? DELIVERY_TIMEOUT_MS),
      });
      status = res.status;
      retryAfter = parseRetryAfter(res.headers.get("retry-after"));
      const text = await res.text().catch(() => "");
      if (classifyStatus(status) !== "delivered") {
        error = `HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ""}`;
      }
    } catch (e) {
      const timedOut = e instanceof DOMException && e.name === "TimeoutError";
      error = timedOut
        ? `no answer within ${(o.timeoutMs ?? DELIVERY_TIMEOUT_MS) / 1000} s`
        : errorMessage(e);
    }
    const outcome = status === null ? "retry" : classifyStatus(status);
    const done = o.now();
    if (outcome === "delivered") {
      await o.outbox.recordAttempt(m.id, "delivered", done, status, null, done);
      log.info("notification delivered", { status, attempts: m.attempts + 1 });
      return "delivered";
    }
    if (outcome === "retry") {
      const delay = Math.max(
        backoffDelay(m.attempts, { ...(o.backoff ?? RETRY_BACKOFF), random: o.random }),
        retryAfter ?? 0,
      );
      const next = done + delay;
      if (next - m.createdAt <= (o.giveUpAfterMs ?? GIVE_UP_AFTER_MS)) {
        await o.outbox.recordAttempt(m.id, "pending", done, status, error, next);
        log.warn("notification attempt failed; will retry", {
          status,
          error,
          attempts: m.attempts + 1,
          retry_in_ms: delay,
        });
        return "retry";
      }
      error = `gave up after ${m.attempts + 1} attempts over 24 h: ${error}`;
    }
    await o.outbox.recordAttempt(m.id, "failed", done, status, error, done);
    log.error("notification failed", { status, error, attempts: m.attempts + 1 });
    return "failed";
  }
}

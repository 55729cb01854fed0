/**
 * Delivers what the spool holds, apart from collection (the collect loop never waits on
 * the network).
 *
 * Each round sends at most two requests at once:
 * - the head: the oldest records, several merged into one request of at most 5,000
 *   metrics (a backlog drains oldest first, in few large requests), and
 * - the live lane: the newest record, alone, when the head does not include it, so current
 *   data reaches the server at once even while a long backlog drains.
 *
 * Failures (network errors, timeouts, 5xx, 408, 429) back off with the shared backoff
 * (1 s doubling to 60 s, ±25 % jitter), or longer when the server sends `Retry-After`.
 * While backing off, each newly collected batch is still tried once as it arrives (never
 * before a `Retry-After` has passed): that costs one request per collection interval, what
 * a healthy agent sends anyway, and means a server that comes back sees live data within
 * one interval; its success ends the backoff and the backlog follows at once.
 *
 * Answers: 2xx finishes the records; a 401 after a fresh token keeps them and logs an error
 * naming the likely cause (at most once a minute); any other 4xx moves the batch to
 * `rejected/` (a merged request is first split, so only the bad batch is set aside).
 * On shutdown, what is pending is tried until the deadline; the rest stays spooled.
 */
import type { Backoff } from "../shared/backoff.ts";
import type { Logger } from "../shared/log.ts";
import type { Counters } from "./counters.ts";
import { errorMessage } from "./errors.ts";
import type { OutgoingRequest, SendOutcome } from "./sender.ts";
import type { Sleep } from "./sleep.ts";
import type { Rejection } from "./spool/rejected_store.ts";
import type { Claim, ClaimedRound, ClaimLimits, SpoolStats } from "./spool/spool.ts";

/** How often at most the same complaint is logged while it persists. */
export const COMPLAINT_EVERY_MS = 60_000;

/** The part of the spool the loop uses. */
export interface DeliverySpool {
  readonly hasPending: boolean;
  claimRound(limits: ClaimLimits, liveAfterSeq: number): Promise<ClaimedRound>;
  claimLive(afterSeq: number): Promise<ClaimedRound>;
  complete(claim: Claim): Promise<void>;
  release(claim: Claim): Promise<void>;
  split(claim: Claim): Promise<void>;
  syncPending(): Promise<void>;
  waitForAppend(signal?: AbortSignal): Promise<void>;
  stats(): SpoolStats;
}

/** What the delivery loop needs. */
export interface DeliveryLoopDeps {
  spool: DeliverySpool;
  sender: { send(req: OutgoingRequest, signal?: AbortSignal): Promise<SendOutcome> };
  /** The JSON body of a claim (metricRequestBody for metric records). */
  requestBody(claim: Claim): Uint8Array;
  rejected: { save(r: Rejection): Promise<string> };
  limits: ClaimLimits;
  backoff: Backoff;
  sleep: Sleep;
  now: () => number;
  logger: Logger;
  counters: Counters;
}

/** When to stop: `stop` ends collection-time work (then pending data is tried); `abort` ends everything. */
export interface DeliverySignals {
  stop: AbortSignal;
  abort: AbortSignal;
}

type Retry = SendOutcome & { kind: "retry" };

/** Sends spooled records until stopped; see the module comment for the policy. */
export class DeliveryLoop {
  #blockedUntil = 0;
  #retryAfterUntil = 0;
  #liveAfterSeq = 0;
  #failingSince: number | null = null;
  #lastFailureLog = -Infinity;
  #lastUnauthorizedLog = -Infinity;
  #stopping = false;

  constructor(private readonly deps: DeliveryLoopDeps) {}

  /**
   * Delivers until `abort`, or until `stop` and nothing is pending. After `stop` it makes
   * one immediate attempt (unless a Retry-After forbids it), then keeps to the backoff.
   * Resolves with how many records remain in the spool.
   */
  async run({ stop, abort }: DeliverySignals): Promise<number> {
    const { spool, now, logger, counters } = this.deps;
    while (!abort.aborted) {
      if (stop.aborted && !this.#stopping) {
        this.#stopping = true;
        this.#blockedUntil = this.#retryAfterUntil;
      }
      if (!spool.hasPending) {
        if (stop.aborted) break;
        await spool.waitForAppend(AbortSignal.any([stop, abort]));
        continue;
      }
      try {
        const wait = this.#blockedUntil - now();
        if (wait > 0) {
          const appended = await this.#pause(wait, stop.aborted ? [abort] : [stop, abort]);
          if (appended && !stop.aborted && now() >= this.#retryAfterUntil) await this.#probe(abort);
          continue;
        }
        await this.#round(abort);
      } catch (e) {
        // The spool could not be read or written: keep everything, try again later.
        counters.inc("delivery_errors_total");
        logger.error("delivery failed; will retry", { error: errorMessage(e) });
        this.#blockedUntil = now() + this.deps.backoff.next();
      }
    }
    return spool.stats().pendingRecords;
  }

  /** Waits `ms`; true when it ended early because a record was appended. */
  async #pause(ms: number, signals: AbortSignal[]): Promise<boolean> {
    const done = new AbortController();
    const any = AbortSignal.any([done.signal, ...signals]);
    let appended = false;
    const append = this.deps.spool.waitForAppend(any).then(() => {
      if (!any.aborted) appended = true;
      done.abort();
    });
    await this.deps.sleep(ms, any);
    done.abort();
    await append;
    return appended;
  }

  async #round(signal: AbortSignal): Promise<void> {
    const { head, live, newestSeq } = await this.deps.spool.claimRound(
      this.deps.limits,
      this.#liveAfterSeq,
    );
    this.#liveAfterSeq = Math.max(this.#liveAfterSeq, newestSeq);
    const claims = [head, live].filter((c): c is Claim => c !== null);
    const outcomes = await Promise.all(claims.map((c) => this.#deliver(c, signal)));
    const retries = outcomes.filter((o): o is Retry => o.kind === "retry");
    if (retries.length === 0) {
      this.#recovered();
      return;
    }
    if (signal.aborted) return; // cut short by the shutdown deadline: not the server's fault
    const retryAfterMs = Math.max(0, ...retries.map((r) => r.retryAfterMs ?? 0));
    const delay = Math.max(this.deps.backoff.next(), retryAfterMs);
    const t = this.deps.now();
    this.#blockedUntil = t + delay;
    if (retryAfterMs > 0) this.#retryAfterUntil = t + retryAfterMs;
    this.#complain(retries[0], delay);
  }

  /** While backing off: the newest record alone, once. Success ends the backoff. */
  async #probe(signal: AbortSignal): Promise<void> {
    const { live, newestSeq } = await this.deps.spool.claimLive(this.#liveAfterSeq);
    this.#liveAfterSeq = Math.max(this.#liveAfterSeq, newestSeq);
    if (!live) return;
    const outcome = await this.#deliver(live, signal);
    if (outcome.kind !== "retry") {
      this.#recovered();
      return;
    }
    if (signal.aborted) return;
    if (outcome.retryAfterMs) {
      const until = this.deps.now() + outcome.retryAfterMs;
      this.#retryAfterUntil = Math.max(this.#retryAfterUntil, until);
      this.#blockedUntil = Math.max(this.#blockedUntil, until);
    }
    this.#complain(outcome, this.#blockedUntil - this.deps.now());
  }

  #recovered(): void {
    const { backoff, now, logger, spool } = this.deps;
    backoff.reset();
    this.#blockedUntil = 0;
    if (this.#failingSince === null) return;
    logger.info("server reachable again; delivering what is spooled", {
      failing_for_s: Math.round((now() - this.#failingSince) / 1000),
      pending_batches: spool.stats().pendingRecords,
    });
    this.#failingSince = null;
    this.#lastFailureLog = -Infinity;
  }

  #complain(r: Retry, retryInMs: number): void {
    const { now, logger, spool } = this.deps;
    const t = now();
    const stats = spool.stats();
    const fields = {
      error: r.reason,
      status: r.status,
      pending_batches: stats.pendingRecords,
      pending_bytes: stats.pendingBytes,
      retry_in_ms: Math.max(0, Math.round(retryInMs)),
    };
    if (r.unauthorized) {
      if (t - this.#lastUnauthorizedLog < COMPLAINT_EVERY_MS) return;
      this.#lastUnauthorizedLog = t;
      logger.error(
        "the server refuses this agent's token: AGENT_TOKEN most likely differs from the " +
          "server's secret (or the clocks disagree); batches are kept in the spool",
        fields,
      );
      return;
    }
    if (this.#failingSince === null) {
      this.#failingSince = t;
      this.#lastFailureLog = t;
      logger.warn("sending failed; batches stay in the spool and are retried", fields);
    } else if (t - this.#lastFailureLog >= COMPLAINT_EVERY_MS) {
      this.#lastFailureLog = t;
      logger.warn("server still unavailable; batches stay in the spool", {
        ...fields,
        failing_for_s: Math.round((t - this.#failingSince) / 1000),
      });
    } else logger.debug("send failed; will retry", fields);
  }

  /** Sends one claim and records the answer in the spool. */
  async #deliver(claim: Claim, signal: AbortSignal): Promise<SendOutcome> {
    const { spool, sender, counters, logger } = this.deps;
    const body = this.deps.requestBody(claim);
    const outcome = await sender.send(
      { id: claim.id, host: claim.host, body, kind: claim.kind },
      signal,
    );
    const fields = {
      request: claim.id,
      batches: claim.records.length,
      metrics: claim.items,
    };
    switch (outcome.kind) {
      case "sent":
        await spool.complete(claim);
        counters.inc("requests_sent_total");
        counters.inc("batches_delivered_total", {}, claim.records.length);
        counters.inc("metrics_delivered_total", {}, claim.items);
        if (outcome.duplicate) counters.inc("requests_duplicate_total");
        logger.debug("sent", { ...fields, status: outcome.status, duplicate: outcome.duplicate });
        return outcome;
      case "rejected":
        await this.#rejected(claim, outcome, body);
        return outcome;
      case "retry":
        counters.inc("batches_retried_total", {}, claim.records.length);
        counters.inc("send_failures_total", {
          reason: outcome.unauthorized ? "unauthorized" : outcome.status ? "status" : "network",
        });
        // The batch has to wait: make it durable (the spool defers fdatasync until then). A
        // failure leaves it written (it survives all but a machine crash): said, and go on.
        await spool.syncPending().catch((e) => {
          counters.inc("spool_sync_errors_total");
          logger.error("spool: could not fdatasync batches that wait", {
            ...fields,
            error: errorMessage(e),
          });
        });
        if (outcome.notStored) await spool.release(claim);
        return outcome;
    }
  }

  async #rejected(
    claim: Claim,
    outcome: SendOutcome & { kind: "rejected" },
    body: Uint8Array,
  ): Promise<void> {
    const { spool, counters, logger, rejected } = this.deps;
    if (claim.merged && claim.fresh) {
      // The server stored nothing; send the batches one by one to find the bad one(s).
      await spool.split(claim);
      counters.inc("merged_requests_split_total");
      logger.warn("merged request refused; sending its batches one by one", {
        request: claim.id,
        batches: claim.records.length,
        status: outcome.status,
        server_message: outcome.message,
      });
      return;
    }
    const file = await rejected.save({
      id: claim.id,
      status: outcome.status,
      message: outcome.message,
      body,
    });
    await spool.complete(claim);
    const total = counters.inc("batches_rejected_total", {}, claim.records.length);
    logger.error("batch rejected by the server; moved to rejected/", {
      request: claim.id,
      batches: claim.records.length,
      metrics: claim.items,
      status: outcome.status,
      server_message: outcome.message,
      file,
      rejected_total: total,
    });
  }
}

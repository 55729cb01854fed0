/**
 * The alerting loops of one server replica. Every `ALERT_EVAL_INTERVAL` it follows reloads
 * requested on other replicas and checks the leader lock; while it leads, it runs one
 * evaluation cycle and drains the outbox right after. A delivery loop polls the outbox
 * every second for retries that come due. A replica that does not lead does neither,
 * and takes over at its next check once the leader's lock is gone.
 */
import type { Logger } from "../../shared/log.ts";
import { errorMessage } from "../db/db.ts";
import { Mutex } from "../db/mutex.ts";
import type { LeaderLock } from "../leader/leader_lock.ts";
import type { DeliveryWorker } from "../notify/delivery_worker.ts";
import { type PeriodicJob, startPeriodic, type Timers } from "../periodic.ts";
import type { AlertConfigHolder } from "./config_holder.ts";
import type { ControlStore } from "./control_store.ts";
import type { CycleReport, Evaluator } from "./evaluator.ts";

/** How often due retries are looked for. */
export const DELIVERY_POLL_MS = 1000;
/** How often old history, finished notifications and ended silences are deleted. */
export const CLEANUP_INTERVAL_MS = 3_600_000;

/** What the runtime drives. */
export interface AlertingRuntimeOptions {
  lock: LeaderLock;
  evaluator: Evaluator;
  delivery: DeliveryWorker;
  control: ControlStore;
  holder: AlertConfigHolder;
  /** Deletes what is older than the retention; run by the leader at most hourly. */
  cleanup: () => Promise<void>;
  intervalMs: number;
  deliveryPollMs?: number;
  now: () => number;
  log: Logger;
  timers: Timers;
  /** Called after every cycle (tests and self-metrics). */
  onCycle?: (report: CycleReport) => void;
  /** Called when a cycle fails as a whole (self-metrics). */
  onCycleFailed?: () => void;
}

/** Starts and stops the evaluation and delivery loops. */
export class AlertingRuntime {
  readonly #o: AlertingRuntimeOptions;
  readonly #deliveryMutex = new Mutex();
  #generation: number | null = null;
  #leadingSeen = false;
  #term = -1;
  #lastCleanup = 0;
  #evalJob: PeriodicJob | null = null;
  #deliveryJob: PeriodicJob | null = null;

  constructor(opts: AlertingRuntimeOptions) {
    this.#o = opts;
  }

  /** Starts both loops and runs the first evaluation tick at once. */
  start(): void {
    const o = this.#o;
    this.#evalJob = startPeriodic(
      "alert evaluation",
      o.intervalMs,
      async () => {
        await this.tick();
      },
      o.log,
      o.timers,
    );
    this.#deliveryJob = startPeriodic(
      "notification delivery",
      o.deliveryPollMs ?? DELIVERY_POLL_MS,
      () => this.deliver(),
      o.log,
      o.timers,
    );
    this.#evalJob.runNow();
  }

  /** One evaluation tick: check the lock; when leading, follow reloads, evaluate, deliver. */
  async tick(): Promise<CycleReport | null> {
    const o = this.#o;
    // Every replica follows reloads, so whichever leads next evaluates the same rules.
    await this.#followReloads();
    const leading = await o.lock.check();
    if (leading !== this.#leadingSeen) {
      o.log.info(
        leading ? "this replica now evaluates alerts" : "this replica no longer evaluates alerts",
      );
      this.#leadingSeen = leading;
    }
    if (!leading) return null;
    if (o.lock.term !== this.#term) {
      // Another replica may have evaluated since this one last did: reload every state.
      o.evaluator.reset();
      this.#term = o.lock.term;
    }
    let report: CycleReport;
    try {
      report = await o.evaluator.runCycle();
    } catch (e) {
      // Nothing was written: the states in memory still match the database.
      o.log.error("alert evaluation cycle failed", { error: errorMessage(e) });
      o.onCycleFailed?.();
      return null;
    }
    o.onCycle?.(report);
    o.log.debug("alert evaluation cycle", { ...report, failed: report.failed.length });
    if (report.messages > 0) await this.deliver();
    if (o.now() - this.#lastCleanup >= CLEANUP_INTERVAL_MS) {
      this.#lastCleanup = o.now();
      await o.cleanup().catch((e) =>
        o.log.warn("alert history cleanup failed", { error: errorMessage(e) })
      );
    }
    return report;
  }

  /**
   * Drains due notifications if this replica leads (checked afresh, so a replica that lost
   * the lock stops sending within a poll); never two drains at once.
   */
  deliver(): Promise<void> {
    return this.#deliveryMutex.run(async () => {
      if (!(await this.#o.lock.check())) return;
      // Leadership taken here (the previous leader died): evaluate now, not an interval later.
      if (this.#o.lock.term !== this.#term) void this.#evalJob?.runNow();
      await this.#o.delivery.drain();
    });
  }

  async #followReloads(): Promise<void> {
    const o = this.#o;
    try {
      const g = await o.control.generation();
      if (this.#generation !== null && g !== this.#generation) {
        o.log.info("reload requested by a replica; reloading alert configuration");
        await o.holder.reload();
      }
      this.#generation = g;
    } catch (e) {
      o.log.warn("reading the reload generation failed", { error: errorMessage(e) });
    }
  }

  /** Stops both loops (waiting for runs in progress) and releases the lock. */
  async stop(): Promise<void> {
    await this.#evalJob?.stop();
    await this.#deliveryJob?.stop();
    await this.#o.lock.release();
  }
}

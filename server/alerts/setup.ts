/**
 * Wires alerting for one server replica from real parts: the stores on the database, the
 * leader lock for its kind (advisory lock on PostgreSQL, always-leader on PGlite), the
 * evaluator, the delivery worker and the loops. `main.ts` passes what only it may touch
 * (how to read the rules file, `fetch`, clocks).
 */
import type { Logger } from "../../shared/log.ts";
import type { Db } from "../db/db.ts";
import { AdvisoryLeaderLock } from "../leader/advisory_lock.ts";
import { type LeaderLock, SingleProcessLock } from "../leader/leader_lock.ts";
import { DeliveryWorker } from "../notify/delivery_worker.ts";
import { OutboxStore } from "../notify/outbox_store.ts";
import type { Timers } from "../periodic.ts";
import type { AlertConfig } from "./alert_config.ts";
import { AlertQueries } from "./alert_queries.ts";
import { type AlertingApi, reloadEverywhere } from "./alerting_api.ts";
import { AlertConfigHolder } from "./config_holder.ts";
import { ControlStore } from "./control_store.ts";
import { type CycleReport, Evaluator } from "./evaluator.ts";
import { AlertingRuntime } from "./runtime.ts";
import { SilenceStore } from "./silence_store.ts";

/** Share of the evaluation interval a cycle may spend on queries before skipping rules. */
export const EVAL_BUDGET_SHARE = 0.8;

/** What `createAlerting` needs. */
export interface AlertingSetup {
  db: Db;
  initial: AlertConfig;
  /** Reads and validates the configuration again (reload). */
  load: () => Promise<AlertConfig>;
  evalIntervalMs: number;
  repeatIntervalMs: number;
  hostDownAfterMs: number;
  retentionMs: number;
  externalUrl: string;
  replica: string;
  fetch: typeof fetch;
  now: () => number;
  random: () => number;
  newId: () => string;
  log: Logger;
  timers: Timers;
  /**
   * On PostgreSQL, a pool of exactly one connection to the same database, used only for
   * the leader lock; without it (PGlite) this process always leads.
   */
  lockDb?: Db;
  /** Replaces the lock chosen from the above (tests). */
  lock?: LeaderLock;
  onCycle?: (report: CycleReport) => void;
  /** Called with each notification attempt's receiver and outcome (self-metrics). */
  onNotification?: (
    receiver: string,
    outcome: "delivered" | "pending" | "failed" | "retry",
  ) => void;
  /** Called when an evaluation cycle fails as a whole (self-metrics). */
  onCycleFailed?: () => void;
}

/** The API for the routes and the runtime to start and stop. */
export interface Alerting {
  api: AlertingApi;
  runtime: AlertingRuntime;
  lock: LeaderLock;
}

/** Builds every alerting part; nothing runs until `runtime.start()`. */
export function createAlerting(s: AlertingSetup): Alerting {
  const log = s.log;
  const holder = new AlertConfigHolder(s.initial, s.load, s.now, log);
  const control = new ControlStore(s.db);
  const queries = new AlertQueries(s.db);
  const silences = new SilenceStore(s.db);
  const outbox = new OutboxStore(s.db);
  const lock = s.lock ??
    (s.lockDb
      ? new AdvisoryLeaderLock(s.lockDb, { log: log.child({ component: "leader" }) })
      : new SingleProcessLock(s.db));
  const api: AlertingApi = {
    queries,
    silences,
    outbox,
    control,
    holder,
    reload: () => reloadEverywhere(holder, control),
    intervalMs: s.evalIntervalMs,
    hostDownAfterMs: s.hostDownAfterMs,
    newId: s.newId,
  };
  const evaluator = new Evaluator({
    db: s.db,
    write: (fn) => lock.fenced(fn),
    config: () => holder.current,
    silences,
    now: s.now,
    newId: () => `msg_${s.newId().replaceAll("-", "")}`,
    log,
    replica: s.replica,
    hostDownAfterMs: s.hostDownAfterMs,
    repeatIntervalMs: s.repeatIntervalMs,
    externalUrl: s.externalUrl,
    budgetMs: s.evalIntervalMs * EVAL_BUDGET_SHARE,
  });
  const delivery = new DeliveryWorker({
    outbox,
    receivers: () => holder.current.receivers,
    fetch: s.fetch,
    now: s.now,
    random: s.random,
    log: log.child({ component: "notify" }),
    onAttempt: s.onNotification,
  });
  const runtime = new AlertingRuntime({
    lock,
    evaluator,
    delivery,
    control,
    holder,
    intervalMs: s.evalIntervalMs,
    now: s.now,
    log,
    timers: s.timers,
    onCycle: s.onCycle,
    onCycleFailed: s.onCycleFailed,
    cleanup: async () => {
      const cutoff = s.now() - s.retentionMs;
      const transitions = await queries.deleteHistoryBefore(cutoff);
      const notifications = await outbox.deleteFinishedBefore(cutoff);
      const ended = await silences.deleteEndedBefore(cutoff);
      log.info("alert cleanup", { transitions, notifications, silences: ended });
    },
  });
  return { api, runtime, lock };
}

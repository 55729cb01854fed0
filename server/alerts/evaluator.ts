/**
 * One evaluation cycle over every rule and the built-in HostDown, run by the replica that
 * holds the leader lock: read (one query per group of rules, plus the hosts), step every
 * instance through the state machine, plan notifications, and write everything in one
 * transaction. Instance states are cached in memory (loaded once when this replica
 * becomes the evaluator) and only changed or non-ok instances are written back.
 *
 * A rule whose query fails is reported with its error and keeps its states; the others go
 * on. When the cycle's time budget runs out, the remaining rules are reported as skipped
 * and are evaluated first next cycle.
 */
import type { Logger } from "../../shared/log.ts";
import { errorMessage, type Queryable } from "../db/db.ts";
import { planMessages } from "../notify/message_planner.ts";
import type { AlertConfig } from "./alert_config.ts";
import { CycleStage, type InstanceCache, NODATA_FORGET_AFTER_MS } from "./cycle_stage.ts";
import {
  groupKeyOf,
  groupQueryParams,
  groupQuerySql,
  groupRules,
  type RuleGroup,
  type SeriesValues,
  toSeriesValues,
} from "./eval_query.ts";
import { evalRuleOf, hostDownRule } from "./eval_rule.ts";
import { hostMatcher } from "./glob.ts";
import { instanceKey } from "./instance.ts";
import { loadInstances, writeCycle } from "./instance_store.ts";
import { HOST_DOWN_RULE } from "./rule.ts";
import type { Silence } from "./silences.ts";
import { toMs } from "./sql_time.ts";

/** Group queries run at once on the pool. */
export const DEFAULT_QUERY_CONCURRENCY = 4;

/** Everything the evaluator needs, injected. */
export interface EvaluatorOptions {
  /** Where reads go (the pool). */
  db: Queryable;
  /** Runs `fn` in a transaction that only commits while this replica still leads. */
  write: (fn: (tx: Queryable) => Promise<void>) => Promise<void>;
  config: () => AlertConfig;
  silences: { list(now: number): Promise<Silence[]> };
  /** Evaluation time (epoch ms). */
  now: () => number;
  /** A monotonic clock in ms for budgets and durations; default `performance.now`. */
  elapsed?: () => number;
  /** A fresh notification id (the `webhook-id`). */
  newId: () => string;
  log: Logger;
  /** Who evaluates, recorded for the API. */
  replica: string;
  hostDownAfterMs: number;
  repeatIntervalMs: number;
  externalUrl: string;
  /** Past this much of a cycle, remaining rules are skipped. */
  budgetMs: number;
  concurrency?: number;
  nodataForgetAfterMs?: number;
}

/** What one cycle did. */
export interface CycleReport {
  at: number;
  rules: number;
  failed: { rule: string; error: string }[];
  skipped: number;
  instances: number;
  written: number;
  transitions: number;
  messages: number;
  queryMs: number;
  writeMs: number;
  totalMs: number;
}

type GroupResult = { rows: SeriesValues[]; ms: number } | { error: string; ms: number };

/** Evaluates rules; `runCycle()` once per `ALERT_EVAL_INTERVAL` while leading. */
export class Evaluator {
  readonly #o: EvaluatorOptions;
  readonly #elapsed: () => number;
  #cache: InstanceCache | null = null;
  #rotation = 0;
  readonly #lastErrors = new Map<string, string>();

  constructor(opts: EvaluatorOptions) {
    this.#o = opts;
    this.#elapsed = opts.elapsed ?? (() => performance.now());
  }

  /** Forgets the cached states: the next cycle reloads them (after leadership changed hands). */
  reset(): void {
    this.#cache = null;
  }

  /** Runs one cycle; throws when reading hosts, silences or writing fails (nothing is then changed). */
  async runCycle(): Promise<CycleReport> {
    const o = this.#o;
    const t0 = this.#elapsed();
    const now = o.now();
    this.#cache ??= await loadInstances(o.db, instanceKey);
    const cache = this.#cache;
    const cfg = o.config();
    const stage = new CycleStage(now, cache, o.nodataForgetAfterMs ?? NODATA_FORGET_AFTER_MS);

    const hostsP = this.#hosts();
    const groups = groupRules(cfg.rules);
    const results = await this.#runGroups(groups, now, t0);
    const hosts = await hostsP;
    const queryMs = this.#elapsed() - t0;

    let skipped = 0;
    for (const rule of cfg.rules) {
      const r = results.get(groupKeyOf(rule));
      if (!r) {
        skipped++;
        stage.status(
          rule.name,
          0,
          0,
          `not evaluated: the cycle's time budget (${o.budgetMs} ms) ran out`,
        );
        continue;
      }
      if ("error" in r) {
        stage.status(rule.name, 0, r.ms, r.error);
        continue;
      }
      const er = evalRuleOf(rule);
      const matches = hostMatcher(rule.hosts);
      const seen = new Set<string>();
      for (const row of r.rows) {
        const value = row.values[rule.agg];
        if (value === undefined || !matches(row.host)) continue;
        seen.add(row.key);
        stage.observe(er, row.key, row.host, row.labels, { kind: "value", value });
      }
      for (const [key, inst] of cache.get(rule.name) ?? []) {
        if (seen.has(key)) continue;
        if ("map" in hosts && !hosts.map.has(inst.host)) stage.remove(inst, key, "host retired");
        else stage.observe(er, key, inst.host, inst.labels, { kind: "nodata" });
      }
      stage.status(rule.name, seen.size, r.ms, null);
    }

    if ("map" in hosts) {
      const hd = hostDownRule(o.hostDownAfterMs);
      const seen = new Set<string>();
      for (const [host, lastSeen] of hosts.map) {
        const key = instanceKey(host, {});
        seen.add(key);
        const value = Math.max(0, now - lastSeen) / 1000;
        stage.observe(hd, key, host, {}, { kind: "value", value });
      }
      for (const [key, inst] of cache.get(HOST_DOWN_RULE) ?? []) {
        if (!seen.has(key)) stage.remove(inst, key, "host retired");
      }
      stage.status(HOST_DOWN_RULE, hosts.map.size, hosts.ms, null);
    } else {
      stage.status(HOST_DOWN_RULE, 0, hosts.ms, hosts.error);
    }

    const names = new Set([...cfg.rules.map((r) => r.name), HOST_DOWN_RULE]);
    for (const [rule, byKey] of cache) {
      if (names.has(rule)) continue;
      for (const [key, inst] of byKey) stage.remove(inst, key, "rule removed");
    }

    const silences = await o.silences.list(now);
    const alerts = stage.notifications(silences, o.repeatIntervalMs, o.externalUrl);
    const plan = planMessages(alerts, cfg.receivers, {
      externalURL: o.externalUrl,
      now,
      newId: o.newId,
    });
    stage.markNotified(plan.notifiedFiring);

    const w0 = this.#elapsed();
    const write = stage.toWrite(plan.messages, o.replica);
    await o.write((tx) => writeCycle(tx, write));
    stage.apply();
    const writeMs = this.#elapsed() - w0;

    const failed = stage.statuses.filter((s) => s.error !== null)
      .map((s) => ({ rule: s.rule, error: s.error! }));
    this.#logErrors(stage.statuses);
    let instances = 0;
    for (const m of cache.values()) instances += m.size;
    return {
      at: now,
      rules: cfg.rules.length + 1,
      failed,
      skipped,
      instances,
      written: write.upserts.length + write.deletes.length,
      transitions: write.transitions.length,
      messages: write.messages.length,
      queryMs,
      writeMs,
      totalMs: this.#elapsed() - t0,
    };
  }

  async #hosts(): Promise<
    { map: Map<string, number>; ms: number } | { error: string; ms: number }
  > {
    const t = this.#elapsed();
    try {
      const rows = await this.#o.db.query("SELECT host, last_seen FROM hosts");
      const map = new Map<string, number>();
      for (const r of rows) map.set(r.host as string, toMs(r.last_seen)!);
      return { map, ms: this.#elapsed() - t };
    } catch (e) {
      return { error: `reading hosts: ${errorMessage(e)}`, ms: this.#elapsed() - t };
    }
  }

  /** Runs the group queries, `concurrency` at a time, starting at a rotating offset. */
  async #runGroups(groups: RuleGroup[], now: number, t0: number) {
    const o = this.#o;
    const results = new Map<string, GroupResult>();
    if (groups.length === 0) return results;
    const start = this.#rotation++ % groups.length;
    const order = [...groups.slice(start), ...groups.slice(0, start)];
    let next = 0;
    const worker = async () => {
      while (next < order.length) {
        if (this.#elapsed() - t0 > o.budgetMs) return;
        const g = order[next++];
        const q0 = this.#elapsed();
        try {
          const rows = await o.db.query(groupQuerySql(g.aggs), groupQueryParams(g, now));
          results.set(g.key, { rows: toSeriesValues(rows, g.aggs), ms: this.#elapsed() - q0 });
        } catch (e) {
          results.set(g.key, {
            error: `query failed: ${errorMessage(e)}`,
            ms: this.#elapsed() - q0,
          });
        }
      }
    };
    const n = Math.max(1, Math.min(o.concurrency ?? DEFAULT_QUERY_CONCURRENCY, order.length));
    await Promise.all(Array.from({ length: n }, worker));
    return results;
  }

  /** Logs a rule's error when it appears or changes, and its recovery. */
  #logErrors(statuses: readonly { rule: string; error: string | null }[]): void {
    for (const s of statuses) {
      const before = this.#lastErrors.get(s.rule);
      if (s.error !== null && s.error !== before) {
        this.#o.log.warn("rule evaluation failed", { rule: s.rule, error: s.error });
        this.#lastErrors.set(s.rule, s.error);
      } else if (s.error === null && before !== undefined) {
        this.#o.log.info("rule evaluates again", { rule: s.rule });
        this.#lastErrors.delete(s.rule);
      }
    }
  }
}

/**
 * What the HTTP routes of alerting need, bundled so `createApp` takes one optional
 * dependency; and the rule listing, built from the configuration in force plus the health
 * and instance counts recorded in the database.
 */
import { formatDuration } from "../../shared/duration.ts";
import type { OutboxStore } from "../notify/outbox_store.ts";
import { describeReceiver } from "../notify/receiver.ts";
import type { AlertQueries } from "./alert_queries.ts";
import type { AlertConfigHolder, ReloadResult } from "./config_holder.ts";
import type { ControlStore } from "./control_store.ts";
import { hostDownRule } from "./eval_rule.ts";
import { HOST_DOWN_RULE } from "./rule.ts";
import type { SilenceStore } from "./silence_store.ts";
import { iso } from "./sql_time.ts";
import type { AlertState } from "./state_machine.ts";

/** Everything the alerting routes use. */
export interface AlertingApi {
  queries: AlertQueries;
  silences: SilenceStore;
  outbox: OutboxStore;
  control: ControlStore;
  holder: AlertConfigHolder;
  /** Reloads this replica's configuration and, when valid, asks the others to follow. */
  reload: () => Promise<ReloadResult>;
  intervalMs: number;
  hostDownAfterMs: number;
  /** A fresh silence id. */
  newId: () => string;
}

/** Reloads through `holder`, then bumps the shared reload generation on success. */
export async function reloadEverywhere(
  holder: AlertConfigHolder,
  control: ControlStore,
): Promise<ReloadResult> {
  const result = await holder.reload();
  if (result.ok) await control.bumpGeneration();
  return result;
}

/** `GET /api/v1/alerts/rules`: every rule with its health and instance counts. */
export async function rulesView(api: AlertingApi) {
  const cfg = api.holder.current;
  const [status, counts, evaluator] = await Promise.all([
    api.queries.ruleStatus(),
    api.queries.counts(),
    api.control.evaluator(),
  ]);
  const zero: Record<AlertState, number> = { ok: 0, pending: 0, firing: 0, nodata: 0 };
  const health = (name: string) => {
    const s = status.get(name);
    return {
      health: s === undefined ? "unknown" : s.error === null ? "ok" : "error",
      last_error: s?.error ?? null,
      last_evaluation: s ? iso(s.lastEval) : null,
      evaluation_ms: s ? Math.round(s.durationMs * 10) / 10 : null,
      series: s?.series ?? 0,
      instances: counts.get(name) ?? zero,
    };
  };
  const hd = hostDownRule(api.hostDownAfterMs);
  const rules = [
    {
      name: HOST_DOWN_RULE,
      builtin: true,
      metric: null,
      hosts: "*",
      labels: {},
      agg: null,
      window: null,
      op: ">",
      threshold: hd.threshold,
      for: "one evaluation",
      keep_firing_for: "0s",
      severity: hd.severity,
      nodata: null,
      summary: hd.summary,
      description: hd.description,
      seed_style: false,
      ...health(HOST_DOWN_RULE),
    },
    ...cfg.rules.map((r) => ({
      name: r.name,
      builtin: false,
      metric: r.metric,
      hosts: r.hosts,
      labels: r.labels,
      agg: r.agg,
      window: formatDuration(r.windowMs),
      op: r.op,
      threshold: r.threshold,
      for: formatDuration(r.forMs),
      keep_firing_for: formatDuration(r.keepFiringForMs),
      severity: r.severity,
      nodata: r.nodata,
      summary: r.summary,
      description: r.description,
      seed_style: r.seedStyle,
      ...health(r.name),
    })),
  ];
  const last = api.holder.lastReload;
  return {
    rules,
    receivers: cfg.receivers.map(describeReceiver),
    config: {
      version: cfg.version,
      loaded_at: iso(cfg.loadedAt),
      last_reload: { at: iso(last.at), ok: last.ok, error: last.error },
    },
    evaluation: {
      interval: formatDuration(api.intervalMs),
      evaluator: evaluator.replica,
      evaluated_at: iso(evaluator.evaluatedAt),
    },
  };
}

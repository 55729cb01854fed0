/**
 * Builds the dashboard's long-lived parts for `main.ts`: the session codec, the live feed
 * over the fleet reader and alerting, the stream registry and the sign-in limiter. `stop()`
 * ends every live stream so a graceful shutdown does not wait for open pages.
 */
import type { Logger } from "../../shared/log.ts";
import type { AlertingApi } from "../alerts/alerting_api.ts";
import { alertLabels } from "../alerts/instance.ts";
import { isSilenced } from "../alerts/silences.ts";
import type { StatusThresholds } from "../http/host_status.ts";
import type { Timers } from "../periodic.ts";
import type { MetricStore } from "../storage/metric_store.ts";
import type { AssetBundle } from "./assets.ts";
import type { DashboardConfig } from "./config.ts";
import type { DashboardSetup } from "./deps.ts";
import type { FleetReader } from "./fleet_reader.ts";
import { type AlertBrief, LiveFeed } from "./live_feed.ts";
import { SessionCodec } from "./session.ts";
import { SIGN_IN_LIMITS, SignInLimiter } from "./sign_in_limiter.ts";
import { StreamRegistry } from "./streams.ts";

/** Most active alerts the banner and the alerts page carry. */
export const ACTIVE_ALERTS_LIMIT = 500;

/** What `createDashboard` needs. */
export interface DashboardOptions {
  config: DashboardConfig;
  /** `AGENT_TOKEN`. */
  secret: string;
  assets: AssetBundle;
  store: Pick<MetricStore, "hosts">;
  reader: FleetReader;
  alerting?: AlertingApi;
  thresholds: StatusThresholds;
  now: () => number;
  timers: Timers;
  log: Logger;
  heartbeatMs?: number;
}

/** The parts for `createApp`, and how to stop them. */
export interface Dashboard {
  setup: DashboardSetup;
  stop(): void;
}

/** Pending and firing alerts with their silenced flag, as the pages show them. */
export async function activeAlerts(api: AlertingApi, now: number): Promise<AlertBrief[]> {
  const [rows, silences] = await Promise.all([
    api.queries.alerts({ states: ["firing", "pending"], limit: ACTIVE_ALERTS_LIMIT }),
    api.silences.list(now),
  ]);
  return rows.map((r) => ({
    rule: r.rule,
    host: r.host,
    labels: r.labels,
    fingerprint: r.fingerprint,
    state: r.state,
    severity: r.severity,
    value: r.value,
    since: r.since,
    summary: r.summary,
    silenced: isSilenced(silences, alertLabels(r.rule, r.host, r.severity, r.labels), now),
  }));
}

/** Builds the dashboard's parts; see the module comment. */
export function createDashboard(o: DashboardOptions): Dashboard {
  const alerting = o.alerting;
  const feed = new LiveFeed({
    store: o.store,
    reader: o.reader,
    alerts: alerting ? () => activeAlerts(alerting, o.now()) : undefined,
    thresholds: o.thresholds,
    refreshMs: o.config.refreshMs,
    now: o.now,
    timers: o.timers,
    log: o.log,
  });
  const streams = new StreamRegistry();
  return {
    setup: {
      config: o.config,
      codec: new SessionCodec(o.secret, o.config.password),
      assets: o.assets,
      feed,
      streams,
      limiter: new SignInLimiter({ ...SIGN_IN_LIMITS, now: o.now }),
      heartbeatMs: o.heartbeatMs,
    },
    stop: () => {
      streams.closeAll();
      feed.stop();
    },
  };
}

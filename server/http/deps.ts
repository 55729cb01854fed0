/**
 * What `createApp` needs: storage, the agent secret, a clock, a logger and limits.
 */
import type { Logger } from "../../shared/log.ts";
import type { AlertingApi } from "../alerts/alerting_api.ts";
import type { DashboardSetup } from "../dashboard/deps.ts";
import type { MetricStore } from "../storage/metric_store.ts";
import type { LogBroadcaster } from "../logs/broadcaster.ts";
import type { LogStore } from "../logs/log_store.ts";
import type { AppTelemetry } from "../telemetry/routes.ts";

/** 5 MiB: the largest request body (and decompressed body) the API reads. */
export const DEFAULT_BODY_LIMIT_BYTES = 5 * 1024 * 1024;
/** How long `/readyz` waits for the database before answering 503. */
export const DEFAULT_READY_TIMEOUT_MS = 2000;

/** Limits and windows the routes enforce; all durations in milliseconds. */
export interface HttpConfig {
  /** How far back data is kept: older samples are refused, longer query ranges too. */
  retentionMs: number;
  /** A host not seen for longer than this is `stale`. */
  hostStaleAfterMs: number;
  /** A host not seen for longer than this is `down` (must exceed `hostStaleAfterMs`). */
  hostDownAfterMs: number;
  /** Largest body, compressed or not, in bytes (default 5 MiB). */
  bodyLimitBytes?: number;
  /** A request taking longer gets a 503. */
  requestTimeoutMs: number;
  /** How long `/readyz` waits for `store.ping()` (default 2 s). */
  readyTimeoutMs?: number;
}

/** Everything the HTTP app depends on, injected so tests need no OS, network or clock. */
export interface AppDeps {
  store: MetricStore;
  /** `AGENT_TOKEN`: the HS256 secret agent and read tokens are signed with. */
  secret: string;
  /** Current time in epoch milliseconds. */
  now: () => number;
  log: Logger;
  config: HttpConfig;
  /** A fresh id per request, echoed in `X-Request-Id` and in logs. */
  newRequestId: () => string;
  /** Alerts, silences, notifications and host retirement; their routes exist only when set. */
  alerting?: AlertingApi;
  /** Log storage and the live tail: mounts `POST /api/v1/logs`, `/logs/query`, `/logs/stream`. */
  logs?: { store: LogStore; broadcaster: LogBroadcaster };
  /** Self-metrics: request metrics, ingest refusals, `/metrics` and `/api/v1/self`. */
  telemetry?: AppTelemetry;
  /** The web dashboard (`server/dashboard/`); its pages and routes exist only when set. */
  dashboard?: DashboardSetup;
}

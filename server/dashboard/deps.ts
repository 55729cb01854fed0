/**
 * What the dashboard's routes need. `createDashboard` (setup.ts) builds the parts that
 * live as long as the server (session codec, live feed, stream registry, sign-in limiter);
 * `createApp` adds what it already has (store, alerting, secret, clock, the app itself).
 */
import type { AlertingApi } from "../alerts/alerting_api.ts";
import type { StatusThresholds } from "../http/host_status.ts";
import type { MetricStore } from "../storage/metric_store.ts";
import type { AssetBundle } from "./assets.ts";
import type { DashboardConfig } from "./config.ts";
import type { LiveFeed } from "./live_feed.ts";
import type { SessionCodec } from "./session.ts";
import type { SignInLimiter } from "./sign_in_limiter.ts";
import type { StreamRegistry } from "./streams.ts";

/** The long-lived parts, passed to `createApp` as `dashboard`. */
export interface DashboardSetup {
  config: DashboardConfig;
  codec: SessionCodec;
  assets: AssetBundle;
  feed: LiveFeed;
  streams: StreamRegistry;
  limiter: SignInLimiter;
  /** Longest silence on the event stream before a `ping` event (default 15 s). */
  heartbeatMs?: number;
}

/** Everything the routes use. */
export interface DashboardDeps extends DashboardSetup {
  store: MetricStore;
  alerting?: AlertingApi;
  /** `AGENT_TOKEN`: verifies read tokens at sign-in and signs the dashboard's own API calls. */
  secret: string;
  now: () => number;
  retentionMs: number;
  thresholds: StatusThresholds;
  /** The whole HTTP app, for the dashboard's calls to the JSON API (log search, live tail). */
  apiFetch: (req: Request) => Response | Promise<Response>;
}

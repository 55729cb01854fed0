/**
 * Every log route, for `createApp` to mount with one `app.route("/", logsRoutes(…))`:
 * `POST /api/v1/logs`, `GET /api/v1/logs/query`, `GET /api/v1/logs/stream`.
 */
import { Hono } from "hono";
import type { LogBroadcaster } from "../../logs/broadcaster.ts";
import type { LogStore } from "../../logs/log_store.ts";
import type { AppEnv } from "../app_env.ts";
import { logsIngestRoutes } from "./logs_ingest.ts";
import { logsQueryRoutes } from "./logs_query.ts";
import { logsStreamRoutes } from "./logs_stream.ts";

/** What the log routes need. */
export interface LogsRoutesDeps {
  store: LogStore;
  broadcaster: LogBroadcaster;
  secret: string;
  now: () => number;
  bodyLimitBytes: number;
  heartbeatMs?: number;
}

/** The log routes. */
export function logsRoutes(deps: LogsRoutesDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.route("/", logsIngestRoutes(deps));
  app.route("/", logsQueryRoutes(deps));
  app.route("/", logsStreamRoutes(deps));
  return app;
}

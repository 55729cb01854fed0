/**
 * The HTTP API of the MiniObserv server, built by a factory so tests call `app.request()`
 * without opening a port and `main.ts` wires the real store, secret, clock and logger.
 *
 * @example
 * ```ts
 * const app = createApp({ store, secret, now: Date.now, log, config, newRequestId: () => crypto.randomUUID() });
 * Deno.serve({ port: 8080 }, app.fetch);
 * ```
 */
import { Hono } from "hono";
import type { AppEnv } from "./app_env.ts";
import { dashboardRoutes } from "../dashboard/routes.ts";
import { type AppDeps, DEFAULT_BODY_LIMIT_BYTES, DEFAULT_READY_TIMEOUT_MS } from "./deps.ts";
import { notFound, onError } from "./middleware/errors.ts";
import { requestId } from "./middleware/request_id.ts";
import { requestTimeout } from "./middleware/timeout.ts";
import { alertsRoutes } from "./routes/alerts.ts";
import { healthRoutes } from "./routes/health.ts";
import { hostsRoutes } from "./routes/hosts.ts";
import { hostsAdminRoutes } from "./routes/hosts_admin.ts";
import { metricsIngestRoutes } from "./routes/metrics_ingest.ts";
import { metricsQueryRoutes } from "./routes/metrics_query.ts";
import { notificationsRoutes } from "./routes/notifications.ts";
import { silencesRoutes } from "./routes/silences.ts";
import { logsRoutes } from "./routes/logs.ts";
import { httpMetrics } from "../telemetry/http_metrics.ts";
import { ingestRejections } from "../telemetry/ingest_rejections.ts";
import { telemetryRoutes } from "../telemetry/routes.ts";

export type { AppDeps, HttpConfig } from "./deps.ts";

/** Builds the API: request ids, timeout, JSON errors (404/405/500) and every route group. */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const { store, secret, now, config } = deps;
  const app = new Hono<AppEnv>();
  if (deps.telemetry) app.use(httpMetrics(deps.telemetry.metrics));
  app.use(requestId({ newRequestId: deps.newRequestId, log: deps.log, now }));
  app.use(requestTimeout(config.requestTimeoutMs));
  app.onError(onError());
  app.notFound(notFound(() => app.routes));
  if (deps.telemetry) {
    app.use("/api/v1/metrics", ingestRejections(deps.telemetry.metrics, "metrics"));
    app.use("/api/v1/logs", ingestRejections(deps.telemetry.metrics, "logs"));
  }

  app.route(
    "/",
    healthRoutes({ store, readyTimeoutMs: config.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS }),
  );
  app.route(
    "/",
    metricsIngestRoutes({
      store,
      secret,
      now,
      retentionMs: config.retentionMs,
      bodyLimitBytes: config.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    }),
  );
  app.route("/", metricsQueryRoutes({ store, secret, now, retentionMs: config.retentionMs }));
  app.route(
    "/",
    hostsRoutes({
      store,
      secret,
      now,
      thresholds: { staleAfterMs: config.hostStaleAfterMs, downAfterMs: config.hostDownAfterMs },
    }),
  );
  if (deps.alerting) {
    const api = deps.alerting;
    app.route("/", alertsRoutes({ api, secret, now, retentionMs: config.retentionMs }));
    app.route("/", silencesRoutes({ api, secret, now }));
    app.route("/", notificationsRoutes({ api, secret, now }));
    app.route("/", hostsAdminRoutes({ api, secret, now }));
  }
  if (deps.logs) {
    app.route(
      "/",
      logsRoutes({
        ...deps.logs,
        secret,
        now,
        bodyLimitBytes: config.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
      }),
    );
  }
  if (deps.dashboard) {
    // The dashboard calls the JSON API through the whole app (`app.fetch`), so routes mounted
    // after `createApp` returns (the log routes) are reachable too.
    app.route(
      "/",
      dashboardRoutes({
        ...deps.dashboard,
        store,
        alerting: deps.alerting,
        secret,
        now,
        retentionMs: config.retentionMs,
        thresholds: { staleAfterMs: config.hostStaleAfterMs, downAfterMs: config.hostDownAfterMs },
        apiFetch: (req) => app.fetch(req),
      }),
    );
  }
  if (deps.telemetry) app.route("/", telemetryRoutes(deps.telemetry, { secret, now }));
  return app;
}

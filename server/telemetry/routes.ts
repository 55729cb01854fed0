/**
 * `GET /metrics` (Prometheus text format) and `GET /api/v1/self` (the self-report as JSON).
 *
 * `/metrics` needs a `read` (or `admin`) token unless `METRICS_PUBLIC=true`: the figures
 * name hosts, receivers and routes, which is not for everyone who can reach the port.
 * Prometheus sends the token with `authorization: { credentials: … }` in its scrape config.
 * `/api/v1/self` always needs a `read` token.
 *
 * @example
 * ```ts
 * app.route("/", metricsRoutes({ registry, secret, now, metricsPublic: false }));
 * app.route("/", selfRoutes({ secret, now, report: (o) => telemetry.report(o) }));
 * ```
 */
import { Hono } from "hono";
import type { Registry } from "prom-client";
import type { SelfReport } from "../../shared/telemetry/report.ts";
import { PROMETHEUS_CONTENT_TYPE } from "../../shared/telemetry/registry.ts";
import type { AppEnv } from "../http/app_env.ts";
import { requireAuth } from "../http/middleware/auth.ts";
import type { ServerMetrics } from "./server_metrics.ts";

/** What the `/metrics` route needs. */
export interface MetricsRouteDeps {
  registry: Registry;
  secret: string;
  now: () => number;
  /** `METRICS_PUBLIC`: serve without a token. */
  metricsPublic: boolean;
}

/** The `/metrics` route. */
export function metricsRoutes(deps: MetricsRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const serve = async () =>
    new Response(await deps.registry.metrics(), {
      headers: { "content-type": PROMETHEUS_CONTENT_TYPE, "cache-control": "no-store" },
    });
  if (deps.metricsPublic) app.get("/metrics", serve);
  else app.get("/metrics", requireAuth("read", deps), serve);
  return app;
}

/** What the `/api/v1/self` route needs. */
export interface SelfRouteDeps {
  secret: string;
  now: () => number;
  report: (opts: { snapshotLimit?: number }) => Promise<SelfReport>;
}

/** Largest `snapshots` value accepted (24 h at one per second). */
export const MAX_SNAPSHOT_LIMIT = 86_400;

/**
 * The `/api/v1/self` route. `?snapshots=N` keeps only the newest N snapshots (0 for
 * none); by default all of the last 24 h are included.
 */
export function selfRoutes(deps: SelfRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/api/v1/self", requireAuth("read", deps), async (c) => {
    const raw = c.req.query("snapshots");
    let snapshotLimit: number | undefined;
    if (raw !== undefined) {
      if (!/^\d+$/.test(raw) || Number(raw) > MAX_SNAPSHOT_LIMIT) {
        return c.json({
          error: `snapshots must be a whole number from 0 to ${MAX_SNAPSHOT_LIMIT}`,
        }, 400);
      }
      snapshotLimit = Number(raw);
    }
    return c.json(await deps.report({ snapshotLimit }));
  });
  return app;
}

/** What the app needs of the server's telemetry (a `ServerTelemetry` plus `METRICS_PUBLIC`). */
export interface HttpTelemetry {
  registry: Registry;
  metricsPublic: boolean;
  report: (opts: { snapshotLimit?: number }) => Promise<SelfReport>;
}

/** Both routes, `/metrics` and `/api/v1/self`, for one `app.route("/", …)`. */
export function telemetryRoutes(
  t: HttpTelemetry,
  auth: { secret: string; now: () => number },
): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.route("/", metricsRoutes({ ...auth, registry: t.registry, metricsPublic: t.metricsPublic }));
  app.route("/", selfRoutes({ ...auth, report: (o) => t.report(o) }));
  return app;
}

/** What `createApp` takes to instrument itself (`AppDeps.telemetry`). */
export interface AppTelemetry extends HttpTelemetry {
  metrics: Pick<ServerMetrics, "httpRequests" | "httpRequestDuration" | "batchesRejected">;
}

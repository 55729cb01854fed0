/**
 * Counts and times every HTTP request by method, matched route pattern and status.
 *
 * The route label is the pattern the request matched (`/api/v1/hosts/:host`), never the raw
 * path, so a scanner trying a million URLs adds one series (`unmatched`), not a million.
 * Register it first (`app.use(httpMetrics(m))` before every other middleware) so the
 * duration covers the whole request and the status is the one the client got (404, 405,
 * 500 and timeouts included).
 *
 * @example
 * ```ts
 * app.use(httpMetrics(serverMetrics));
 * ```
 */
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { ServerMetrics } from "./server_metrics.ts";

/** The route label of a request no route handled. */
export const UNMATCHED_ROUTE = "unmatched";

/** Methods kept as they are; anything else is counted as `other`. */
const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** The pattern of the last matched route that is not app-wide middleware, or `unmatched`. */
export function routeLabel(c: Context): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const path = routes[i].path;
    if (path !== "/*" && path !== "*") return path;
  }
  return UNMATCHED_ROUTE;
}

/** Middleware factory: see the module comment. `elapsed` is a monotonic clock in ms. */
export function httpMetrics(
  m: Pick<ServerMetrics, "httpRequests" | "httpRequestDuration">,
  elapsed: () => number = () => performance.now(),
): MiddlewareHandler {
  return async (c, next) => {
    const started = elapsed();
    try {
      await next();
    } finally {
      const method = KNOWN_METHODS.has(c.req.method) ? c.req.method : "other";
      const route = routeLabel(c);
      // A throw that escaped every handler reaches the client as a 500.
      const status = c.finalized ? String(c.res.status) : "500";
      m.httpRequests.inc({ method, route, status });
      m.httpRequestDuration.observe({ method, route }, (elapsed() - started) / 1000);
    }
  };
}

/**
 * `DELETE /api/v1/hosts/{host}` (scope `admin`): retires a decommissioned host. Its row is
 * removed, so it leaves `GET /api/v1/hosts`, HostDown and every rule stop alerting on it
 * (firing alerts that were notified are resolved at the next evaluation). Its stored
 * metrics stay until the retention removes them. A host that sends data again is back.
 */
import { Hono } from "hono";
import type { AlertingApi } from "../../alerts/alerting_api.ts";
import { validateHost } from "../../../shared/metric.ts";
import type { AppEnv } from "../app_env.ts";
import { requireAuth } from "../middleware/auth.ts";

/** What the route needs. */
export interface HostsAdminDeps {
  api: AlertingApi;
  secret: string;
  now: () => number;
}

/** The host retirement route. */
export function hostsAdminRoutes(deps: HostsAdminDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.delete("/api/v1/hosts/:host", requireAuth("admin", deps), async (c) => {
    const host = c.req.param("host");
    const err = validateHost(host);
    if (err) return c.json({ error: err }, 400);
    if (!await deps.api.queries.retireHost(host)) {
      return c.json({ error: "host not found" }, 404);
    }
    c.get("log").info("host retired", { host, by: c.get("claims").sub });
    return c.json({ host, retired: true });
  });
  return app;
}

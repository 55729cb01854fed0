/**
 * `GET /api/v1/alerts` (instances), `GET /api/v1/alerts/rules`, `GET /api/v1/alerts/history`
 * (scope `read`) and `POST /api/v1/alerts/reload` (scope `admin`).
 */
import { Hono } from "hono";
import { type AlertingApi, rulesView } from "../../alerts/alerting_api.ts";
import { alertLabels } from "../../alerts/instance.ts";
import { isSilenced } from "../../alerts/silences.ts";
import type { AppEnv } from "../app_env.ts";
import { requireAuth } from "../middleware/auth.ts";
import { parseAlertListParams, parseHistoryParams } from "./alerts_params.ts";

/** What the alert routes need. */
export interface AlertRoutesDeps {
  api: AlertingApi;
  secret: string;
  now: () => number;
  retentionMs: number;
}

const params = (url: string) => new URL(url).searchParams;

/** The alert routes. */
export function alertsRoutes(deps: AlertRoutesDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { api } = deps;

  app.get("/api/v1/alerts", requireAuth("read", deps), async (c) => {
    const parsed = parseAlertListParams(params(c.req.url));
    if (!parsed.ok) return c.json({ error: parsed.error }, 400);
    const now = deps.now();
    const [rows, silences] = await Promise.all([
      api.queries.alerts(parsed.value),
      api.silences.list(now),
    ]);
    const alerts = rows.map((r) => ({
      ...r,
      silenced: isSilenced(silences, alertLabels(r.rule, r.host, r.severity, r.labels), now),
    }));
    return c.json({ alerts });
  });

  app.get("/api/v1/alerts/rules", requireAuth("read", deps), async (c) => {
    for (const _ of params(c.req.url).keys()) {
      return c.json({ error: "this endpoint takes no parameters" }, 400);
    }
    return c.json(await rulesView(api));
  });

  app.get("/api/v1/alerts/history", requireAuth("read", deps), async (c) => {
    const parsed = parseHistoryParams(params(c.req.url), deps.now(), deps.retentionMs);
    if (!parsed.ok) return c.json({ error: parsed.error }, 400);
    const q = parsed.value;
    const transitions = await api.queries.history(q);
    return c.json({
      from: new Date(q.from).toISOString(),
      to: new Date(q.to).toISOString(),
      transitions,
    });
  });

  app.post("/api/v1/alerts/reload", requireAuth("admin", deps), async (c) => {
    const result = await api.reload();
    if (!result.ok) {
      return c.json({
        error: `reload failed; the previous configuration stays in force: ${result.error}`,
        rules: result.rules,
        receivers: result.receivers,
      }, 422);
    }
    return c.json({ reloaded: true, rules: result.rules, receivers: result.receivers });
  });
  return app;
}

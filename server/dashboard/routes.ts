/**
 * Every route of the dashboard, for `createApp` to mount: pages, sign-in, data endpoints,
 * the live event stream and static files, each answered with the security headers.
 *
 * | route                                   | auth                     |
 * | --------------------------------------- | ------------------------ |
 * | `GET /`, `/hosts/{host}`, `/logs`, `/alerts`, `/alerts/silence` | session (else 303 to `/signin`) |
 * | `POST /alerts/silences`, `POST /alerts/silences/{id}/expire`     | session (admin) + CSRF token    |
 * | `GET /signin`, `POST /signin`           | none (rate-limited)      |
 * | `POST /signout`                         | session + CSRF token     |
 * | `GET /dashboard/events`, `/dashboard/session`, `/dashboard/api/…` | session (else 401 JSON) |
 * | `GET /static/{version}/{file}`          | none (code and styles only, no data) |
 */
import { Hono } from "hono";
import { ApiCaller } from "./api_caller.ts";
import { STATIC_PREFIX } from "./assets.ts";
import { authRoutes } from "./auth_routes.tsx";
import { dataRoutes } from "./data_routes.ts";
import type { DashboardDeps } from "./deps.ts";
import type { DashEnv } from "./env.ts";
import { eventsRoutes } from "./events_route.ts";
import { pageRoutes } from "./page_routes.tsx";
import { securityHeaders } from "./security_headers.ts";

/** Paths the dashboard answers (and sets its headers on). */
export const DASHBOARD_PATHS = [
  "/",
  "/hosts/*",
  "/logs",
  "/alerts",
  "/alerts/*",
  "/signin",
  "/signout",
  "/dashboard/*",
  `${STATIC_PREFIX}/*`,
] as const;

/** The dashboard's routes. */
export function dashboardRoutes(deps: DashboardDeps): Hono<DashEnv> {
  const app = new Hono<DashEnv>();
  const headers = securityHeaders();
  for (const p of DASHBOARD_PATHS) app.use(p, headers);

  app.get(`${STATIC_PREFIX}/:version/*`, (c) => {
    const version = c.req.param("version");
    const name = c.req.path.slice(`${STATIC_PREFIX}/${version}/`.length);
    const asset = deps.assets.get(name);
    if (!asset) return c.json({ error: "not found" }, 404);
    return c.body(asset.body as Uint8Array<ArrayBuffer>, 200, {
      "Content-Type": asset.contentType,
      "Cache-Control": version === deps.assets.version
        ? "public, max-age=31536000, immutable"
        : "no-cache",
    });
  });

  const api = new ApiCaller(deps);
  app.route("/", authRoutes(deps));
  app.route("/", eventsRoutes(deps));
  app.route("/", dataRoutes(deps, api));
  app.route("/", pageRoutes(deps, api));
  return app;
}

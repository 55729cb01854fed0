/**
 * Building the frame of a page for a request (theme, session, CSRF token, banner alerts,
 * the server's clock) and answering with the rendered document.
 */
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import type { DashboardDeps } from "./deps.ts";
import type { DashEnv } from "./env.ts";
import type { AlertBrief } from "./live_feed.ts";
import { type Chrome, renderDocument } from "./pages/layout.tsx";
import type { Session } from "./session.ts";

/** Name of the (non-secret) cookie remembering the chosen theme. */
export const THEME_COOKIE = "mo_theme";

/** The frame of a page; `overrides` for pages without a session (sign-in). */
export function chrome(
  c: Context<DashEnv>,
  deps: DashboardDeps,
  overrides: { session?: Session | null; csrf?: string | null; alerts: AlertBrief[] | null },
): Chrome {
  return {
    assets: deps.assets,
    theme: getCookie(c, THEME_COOKIE) === "light" ? "light" : "dark",
    authMode: deps.config.auth,
    session: overrides.session !== undefined ? overrides.session : c.get("session") ?? null,
    csrf: overrides.csrf !== undefined ? overrides.csrf : c.get("csrf") ?? null,
    serverNow: deps.now(),
    alerts: overrides.alerts,
  };
}

/** Answers with a full HTML document. */
export async function htmlPage(c: Context, node: unknown, status = 200): Promise<Response> {
  return c.html(await renderDocument(node), status as 200);
}

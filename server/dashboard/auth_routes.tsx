/**
 * Signing in and out, and the middleware every page and data endpoint sits behind.
 *
 * - `POST /signin` with `password` (`DASHBOARD_PASSWORD`, role `admin`) or `token` (a `read`
 *   or `admin` JWT signed with `AGENT_TOKEN`; an `ingest` token is refused): sets the
 *   `mo_session` cookie (HttpOnly, SameSite=Strict, Secure over HTTPS, Max-Age the session's
 *   remaining life) and redirects to `next`. Failures are counted per client and refused
 *   with 429 past the limit.
 * - `POST /signout` (CSRF token required): clears the cookie.
 * - Without a valid session a page redirects to `/signin?next=…` and a data endpoint answers
 *   401 `{"error":"unauthorized"}`. With `DASHBOARD_AUTH=none` everyone is `local` (admin).
 */
import { Hono } from "hono";
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { type TokenClaims, TokenError, verifyToken } from "../../shared/jwt.ts";
import { PASSWORD_MAX_LENGTH } from "./config.ts";
import { crossSiteReason, CSRF_FIELD, CSRF_HEADER } from "./csrf.ts";
import type { DashboardDeps } from "./deps.ts";
import type { DashEnv } from "./env.ts";
import { chrome, htmlPage } from "./page_context.ts";
import { SignInPage } from "./pages/signin.tsx";
import { newSessionId, type Session, SESSION_COOKIE } from "./session.ts";

/** Largest sign-in and form body read. */
export const FORM_BODY_LIMIT_BYTES = 16 * 1024;

/** The session everyone has with `DASHBOARD_AUTH=none`. */
export const LOCAL_SESSION: Session = {
  sid: "local",
  sub: "local",
  role: "admin",
  method: "none",
  iat: 0,
  exp: Number.MAX_SAFE_INTEGER,
};

/** `next` when it is a path of this site, else `/` (no open redirect). */
export function safeNext(next: string | null | undefined): string {
  if (!next || next.length > 2000) return "/";
  // deno-lint-ignore no-control-regex
  if (!next.startsWith("/") || next.startsWith("//") || /[\\\x00-\x1f\x7f]/.test(next)) return "/";
  if (next.startsWith("/signin") || next.startsWith("/signout")) return "/";
  return next;
}

/** The session of the request, or null. */
export async function sessionOf(c: Context<DashEnv>, deps: DashboardDeps): Promise<Session | null> {
  if (deps.config.auth === "none") return LOCAL_SESSION;
  return await deps.codec.open(getCookie(c, SESSION_COOKIE), deps.now());
}

function isSecureRequest(c: Context, deps: DashboardDeps): boolean {
  if (deps.config.cookieSecure === "always") return true;
  if (deps.config.cookieSecure === "never") return false;
  const proto = c.req.header("x-forwarded-proto")?.split(",")[0].trim().toLowerCase();
  return new URL(c.req.url).protocol === "https:" || proto === "https";
}

/**
 * Middleware: sets `session` and `csrf`, or refuses. `page`: redirect to sign-in (after a
 * cross-site navigation, which carries no SameSite=Strict cookie, first reload the page once
 * from this site so the cookie is sent); `data`: 401 JSON.
 */
export function requireSession(
  deps: DashboardDeps,
  kind: "page" | "data",
): MiddlewareHandler<DashEnv> {
  return async (c, next) => {
    const session = await sessionOf(c, deps);
    if (!session) {
      if (kind === "data") return c.json({ error: "unauthorized" }, 401);
      const url = new URL(c.req.url);
      const here = url.pathname + url.search;
      if (c.req.method === "GET" && c.req.header("sec-fetch-site") === "cross-site") {
        return c.html(
          `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">` +
            `<meta http-equiv="refresh" content="0"><title>MiniObserv</title></head>` +
            `<body><p><a href="">Continue</a></p></body></html>`,
          200,
        );
      }
      return c.redirect(`/signin?next=${encodeURIComponent(safeNext(here))}`, 303);
    }
    c.set("session", session);
    c.set("csrf", await deps.codec.csrfToken(session));
    await next();
  };
}

/**
 * Middleware for state-changing requests (after `requireSession`): the request must not be
 * cross-site and must carry the session's CSRF token (form field `_csrf` or header
 * `X-CSRF-Token`); 403 otherwise.
 */
export function requireCsrf(deps: DashboardDeps): MiddlewareHandler<DashEnv> {
  return async (c, next) => {
    const cross = crossSiteReason(c.req.raw.headers, c.req.url);
    let token = c.req.header(CSRF_HEADER) ?? null;
    if (token === null && !cross) {
      const form = await readForm(c);
      if (form === null) return c.text("request body too large or not a form", 413);
      token = form.get(CSRF_FIELD);
    }
    if (cross || !(await deps.codec.csrfValid(c.get("session"), token))) {
      c.get("log").warn("dashboard: refused a state-changing request", {
        reason: cross ?? "CSRF token missing or wrong",
        path: c.req.path,
      });
      return c.text(
        "Forbidden: this form must be sent from a page of this dashboard. Reload the page and try again.",
        403,
      );
    }
    await next();
  };
}

const forms = new WeakMap<Request, URLSearchParams>();

/**
 * The request's url-encoded form, read once and cached (the CSRF check and the handler both
 * read it); null when the body is larger than `FORM_BODY_LIMIT_BYTES` or not url-encoded.
 */
export async function readForm(c: Context): Promise<URLSearchParams | null> {
  const req = c.req.raw;
  const cached = forms.get(req);
  if (cached) return cached;
  const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded" && type !== "") return null;
  if (Number(c.req.header("content-length") ?? "0") > FORM_BODY_LIMIT_BYTES) return null;
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (req.body) {
    const reader = req.body.getReader();
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > FORM_BODY_LIMIT_BYTES) {
        await reader.cancel().catch(() => {});
        return null;
      }
      chunks.push(value);
    }
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const ch of chunks) {
    bytes.set(ch, at);
    at += ch.length;
  }
  const form = new URLSearchParams(new TextDecoder().decode(bytes));
  forms.set(req, form);
  return form;
}

function clientKey(c: Context): string {
  const env = c.env as { remoteAddr?: { hostname?: string } } | undefined;
  return env?.remoteAddr?.hostname ?? "unknown";
}

async function claimsOf(token: string, deps: DashboardDeps): Promise<TokenClaims | string> {
  try {
    return await verifyToken(token.trim(), deps.secret, deps.now);
  } catch (e) {
    if (e instanceof TokenError) return e.message;
    return "token refused";
  }
}

/** The sign-in and sign-out routes. */
export function authRoutes(deps: DashboardDeps): Hono<DashEnv> {
  const app = new Hono<DashEnv>();
  const passwordEnabled = deps.config.password !== undefined;

  const page = (
    c: Context<DashEnv>,
    opts: { next: string; error: string | null; info: string | null },
    status: 200 | 401 | 403 | 413 | 429,
  ) =>
    htmlPage(
      c,
      <SignInPage
        chrome={chrome(c, deps, { session: null, csrf: null, alerts: null })}
        next={opts.next}
        passwordEnabled={passwordEnabled}
        error={opts.error}
        info={opts.info}
      />,
      status,
    );

  app.get("/signin", async (c) => {
    const next = safeNext(c.req.query("next"));
    if (await sessionOf(c, deps)) return c.redirect(next, 303);
    return page(c, {
      next,
      error: null,
      info: c.req.query("signed_out") !== undefined ? "You are signed out." : null,
    }, 200);
  });

  app.post("/signin", async (c) => {
    const log = c.get("log");
    if (deps.config.auth === "none") return c.redirect("/", 303);
    const cross = crossSiteReason(c.req.raw.headers, c.req.url);
    if (cross) {
      log.warn("dashboard: cross-site sign-in refused", { reason: cross });
      return page(
        c,
        { next: "/", error: "Sign in from this dashboard's own page.", info: null },
        403,
      );
    }
    const form = await readForm(c);
    if (form === null) {
      return page(c, { next: "/", error: "That form is too large.", info: null }, 413);
    }
    const next = safeNext(form.get("next"));
    const key = clientKey(c);
    const wait = deps.limiter.retryAfterMs(key);
    if (wait > 0) {
      log.warn("dashboard: sign-in refused: too many failures", { client: key });
      const res = await page(c, {
        next,
        error: `Too many failed attempts. Try again in ${Math.ceil(wait / 60_000)} min.`,
        info: null,
      }, 429);
      res.headers.set("Retry-After", String(Math.ceil(wait / 1000)));
      return res;
    }
    const password = form.get("password") ?? "";
    const token = (form.get("token") ?? "").trim();
    const now = deps.now();
    let session: Session | null = null;
    let reason = "no password or token given";
    if (password !== "" && password.length <= PASSWORD_MAX_LENGTH) {
      if (await deps.codec.passwordMatches(password)) {
        session = {
          sid: newSessionId(),
          sub: "dashboard",
          role: "admin",
          method: "password",
          iat: now,
          exp: now + deps.config.sessionTtlMs,
        };
      } else {
        reason = passwordEnabled ? "wrong password" : "no DASHBOARD_PASSWORD is configured";
      }
    } else if (token !== "") {
      const claims = await claimsOf(token, deps);
      if (typeof claims === "string") {
        reason = `token: ${claims}`;
      } else if (claims.scope === "ingest") {
        reason = "token: an ingest token cannot sign in";
      } else {
        session = {
          sid: newSessionId(),
          sub: claims.sub,
          role: claims.scope === "admin" ? "admin" : "read",
          method: "token",
          iat: now,
          exp: Math.min(now + deps.config.sessionTtlMs, claims.exp * 1000),
        };
      }
    }
    if (!session) {
      deps.limiter.fail(key);
      log.warn("dashboard: sign-in failed", { reason, client: key });
      return page(c, {
        next,
        error: passwordEnabled
          ? "Sign-in failed: wrong password, or the token is not a valid read token."
          : "Sign-in failed: the token is not a valid read token.",
        info: null,
      }, 401);
    }
    deps.limiter.succeed(key);
    setCookie(c, SESSION_COOKIE, await deps.codec.seal(session), {
      httpOnly: true,
      sameSite: "Strict",
      path: "/",
      secure: isSecureRequest(c, deps),
      maxAge: Math.max(1, Math.floor((session.exp - now) / 1000)),
    });
    log.info("dashboard: signed in", {
      sub: session.sub,
      method: session.method,
      role: session.role,
    });
    return c.redirect(next, 303);
  });

  app.post("/signout", requireSession(deps, "page"), requireCsrf(deps), (c) => {
    deleteCookie(c, SESSION_COOKIE, {
      path: "/",
      secure: isSecureRequest(c, deps),
      httpOnly: true,
      sameSite: "Strict",
    });
    c.get("log").info("dashboard: signed out", { sub: c.get("session").sub });
    return c.redirect("/signin?signed_out=1", 303);
  });
  return app;
}

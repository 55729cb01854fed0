/**
 * Security headers on every dashboard response: a Content-Security-Policy that allows only
 * this server's own scripts, styles and connections (no inline script or style, no framing),
 * `nosniff`, no referrer to other sites, and no caching of pages and data (static assets set their own).
 */
import type { MiddlewareHandler } from "hono";

/** The dashboard's Content-Security-Policy. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

/** The headers, as set on each response. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "X-Content-Type-Options": "nosniff",
  // `same-origin`, not `no-referrer`: with no-referrer, browsers send `Origin: null` on this
  // site's own form posts, which the cross-site check must then refuse.
  "Referrer-Policy": "same-origin",
  "X-Frame-Options": "DENY",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
};

/** Middleware: adds `SECURITY_HEADERS`, and `Cache-Control: no-store` unless one is set. */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    let res = c.res;
    try {
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.headers.set(k, v);
    } catch {
      // Immutable headers (a response passed through from elsewhere): copy it.
      res = new Response(res.body, res);
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.headers.set(k, v);
      c.res = res;
    }
    if (!res.headers.has("Cache-Control")) res.headers.set("Cache-Control", "no-store");
  };
}

/**
 * Error answers as JSON: 500 with the request id (stack only in the log), 404 for an
 * unknown path, 405 with `Allow` for a known path and a wrong method.
 */
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import type { AppEnv } from "../app_env.ts";

/** Logs `err` with its stack and answers `{"error":"internal error","request_id":…}` with 500. */
export function internalErrorResponse(c: Context<AppEnv>, err: unknown): Response {
  const requestId = c.get("requestId") ?? "";
  const e = err instanceof Error ? err : new Error(String(err));
  c.get("log")?.error("unhandled error", {
    error: e.message,
    name: e.name,
    stack: e.stack ?? "",
    method: c.req.method,
    path: c.req.path,
  });
  return c.json({ error: "internal error", request_id: requestId }, 500);
}

/** Hono `onError` handler: every thrown error becomes a 500 without details. */
export function onError(): ErrorHandler<AppEnv> {
  return (err, c) => internalErrorResponse(c, err);
}

/** The methods registered for each path (GET implies HEAD), read once from the app's routes. */
export function allowedMethodsByPath(
  routes: readonly { method: string; path: string }[],
): Map<string, string[]> {
  const byPath = new Map<string, Set<string>>();
  for (const r of routes) {
    if (r.method === "ALL" || r.path.includes("*") || r.path.includes(":")) continue;
    const set = byPath.get(r.path) ?? new Set<string>();
    set.add(r.method);
    if (r.method === "GET") set.add("HEAD");
    byPath.set(r.path, set);
  }
  return new Map([...byPath].map(([p, s]) => [p, [...s].sort()]));
}

/** Hono `notFound` handler: 405 with `Allow` when the path exists for other methods, else 404. */
export function notFound(
  routes: () => readonly { method: string; path: string }[],
): NotFoundHandler<AppEnv> {
  let allowed: Map<string, string[]> | undefined;
  return (c) => {
    allowed ??= allowedMethodsByPath(routes());
    const methods = allowed.get(c.req.path);
    if (methods) {
      return c.json({ error: `method ${c.req.method} not allowed` }, 405, {
        Allow: methods.join(", "),
      });
    }
    return c.json({ error: "not found" }, 404);
  };
}

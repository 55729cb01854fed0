/**
 * Counts the batches ingest refuses, by reason, from the answer the client got: one
 * middleware per ingest route, independent of the route's own code.
 *
 * | answer | reason |
 * |---|---|
 * | 401 | `unauthorized` |
 * | 403 | `forbidden_host` (the batch names another host than the token) |
 * | 413 | `too_large` |
 * | 415 | `unsupported_media_type` |
 * | 400 naming `X-Agent-Version` | `bad_header` |
 * | 400 "… older than the retention" | `too_old` |
 * | 400 "… in the future" | `future` |
 * | any other 400 | `invalid` |
 * | any other 4xx | `other` |
 *
 * 5xx answers are not refusals (the agent retries them) and are not counted here.
 *
 * @example
 * ```ts
 * app.use("/api/v1/metrics", ingestRejections(serverMetrics, "metrics"));
 * ```
 */
import type { MiddlewareHandler } from "hono";
import type { IngestKind, RejectReason, ServerMetrics } from "./server_metrics.ts";

/** The reason of a refusal from its status and its `{"error": …}` message. */
export function rejectReason(status: number, error: string): RejectReason {
  switch (status) {
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden_host";
    case 413:
      return "too_large";
    case 415:
      return "unsupported_media_type";
    case 400:
      if (/x-agent-version/i.test(error)) return "bad_header";
      if (/older than the retention/.test(error)) return "too_old";
      if (/in the future/.test(error)) return "future";
      return "invalid";
    default:
      return "other";
  }
}

/** Middleware factory: counts each 4xx answer to a POST as one refused batch of `kind`. */
export function ingestRejections(
  m: Pick<ServerMetrics, "batchesRejected">,
  kind: IngestKind,
): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (c.req.method !== "POST") return;
    const status = c.res.status;
    if (status < 400 || status >= 500) return;
    let error = "";
    if (status === 400) {
      try {
        const body = await c.res.clone().json() as { error?: unknown };
        if (typeof body?.error === "string") error = body.error;
      } catch {
        // Not JSON: "invalid" it stays.
      }
    }
    m.batchesRejected.inc({ kind, reason: rejectReason(status, error) });
  };
}

/**
 * A `fetch` that counts the agent's requests to the server and their body bytes, by kind
 * (metrics, logs, from the path) and outcome, classified as the sender does:
 * 2xx `sent`; 401, 408, 429, 5xx and network errors `retried`; any other 4xx `rejected`.
 * Bytes are the body as sent (the sender gzips it first).
 *
 * @example
 * ```ts
 * const sender = new Sender({ …, fetch: instrumentFetch(fetch, agentMetrics) });
 * ```
 */
import type { AgentMetrics } from "./agent_metrics.ts";

/** How a request to the server ended. */
export type RequestOutcome = "sent" | "retried" | "rejected";

/** The outcome of an answer's status, as the sender treats it. */
export function requestOutcome(status: number): RequestOutcome {
  if (status >= 200 && status < 300) return "sent";
  if (status === 401 || status === 408 || status === 429 || status >= 500) return "retried";
  return status >= 400 ? "rejected" : "retried";
}

/** The kind of a request from its URL path. */
export function requestKind(url: string): string {
  const path = (() => {
    try {
      return new URL(url).pathname;
    } catch {
      return url;
    }
  })();
  if (path.endsWith("/api/v1/metrics")) return "metrics";
  if (path.endsWith("/api/v1/logs")) return "logs";
  return "other";
}

function bodyBytes(body: BodyInit | null | undefined): number {
  if (body === null || body === undefined) return 0;
  if (typeof body === "string") return new TextEncoder().encode(body).length;
  if (body instanceof ArrayBuffer) return body.byteLength;
  if (ArrayBuffer.isView(body)) return body.byteLength;
  if (body instanceof Blob) return body.size;
  return 0;
}

/** Wraps `inner` so every request is counted; see the module comment. */
export function instrumentFetch(
  inner: typeof fetch,
  m: Pick<AgentMetrics, "requests" | "requestBytes">,
): typeof fetch {
  return async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    const kind = requestKind(url);
    const bytes = bodyBytes(init?.body);
    const count = (outcome: RequestOutcome) => {
      m.requests.inc({ kind, outcome });
      m.requestBytes.inc({ kind, outcome }, bytes);
    };
    let res: Response;
    try {
      res = await inner(input, init);
    } catch (e) {
      count("retried");
      throw e;
    }
    count(requestOutcome(res.status));
    return res;
  };
}

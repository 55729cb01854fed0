/**
 * Sends one request (a spooled batch, or several merged into one) to the server and
 * classifies the answer; it never retries on its own except once after a 401, with a
 * freshly minted token. Bodies are gzip-compressed.
 *
 * @example
 * ```ts
 * const sender = new Sender({ serverUrl, tokens: tokenSources.forHost, fetch, timeoutMs: 10_000, now: Date.now });
 * const outcome = await sender.send({ id, host, body }); // { kind: "sent" | "retry" | "rejected", … }
 * ```
 */
import { VERSION } from "../shared/version.ts";
import { errorMessage } from "./errors.ts";
import { gzip, type GzipSync } from "./gzip.ts";
import { parseRetryAfter } from "./retry_after.ts";
import { globalTimeouts, type TimeoutTimers } from "./sleep.ts";
import type { Tokens } from "./token_source.ts";

/** The ingest path, appended to SERVER_URL. */
export const INGEST_PATH = "/api/v1/metrics";

/** Statuses worth retrying besides 5xx: the server or a proxy asks to come back later. */
const RETRYABLE_STATUSES = new Set([408, 429]);
/** Longest server message kept for the log. */
const MESSAGE_MAX = 500;

/** One request: a batch's JSON (`body`) for `host`, under batch id `id`. */
export interface OutgoingRequest {
  id: string;
  host: string;
  body: Uint8Array;
  /** What the body holds: metric batches go to `/api/v1/metrics`, log batches to `/api/v1/logs`. */
  kind?: "metrics" | "logs";
}

/**
 * What happened: `sent` → finished, `retry` → keep and back off, `rejected` → can never
 * succeed. `notStored` on a retry says the server provably stored nothing (the connection
 * was never made, or a 4xx refused the request before storage), as opposed to a 5xx, a
 * timeout or a connection lost mid-request, after which the batch may be stored already.
 */
export type SendOutcome =
  | { kind: "sent"; status: number; duplicate: boolean }
  | {
    kind: "retry";
    reason: string;
    notStored: boolean;
    status?: number;
    unauthorized?: boolean;
    retryAfterMs?: number;
  }
  | { kind: "rejected"; status: number; message: string };

/** What the sender needs. */
export interface SenderOptions {
  serverUrl: URL;
  /** The token source for a batch's host (the server accepts a batch only from its own host). */
  tokens: (host: string) => Tokens;
  fetch: typeof fetch;
  timeoutMs: number;
  /** The clock, for `Retry-After` dates. */
  now: () => number;
  /** Timers for the request timeout (default: the global ones; main.ts: its AlarmClock). */
  timers?: TimeoutTimers;
  /** Compresses a body at once (default: node:zlib; main.ts: libz over FFI, see gzip.ts). */
  gzipSync?: GzipSync;
}

/** The log ingest path, appended to SERVER_URL. */
export const LOG_INGEST_PATH = "/api/v1/logs";

/** `${SERVER_URL}/api/v1/metrics` (or `/api/v1/logs`), keeping any path prefix SERVER_URL has. */
export function ingestUrl(serverUrl: URL, kind: "metrics" | "logs" = "metrics"): string {
  return serverUrl.href.replace(/\/+$/, "") + (kind === "logs" ? LOG_INGEST_PATH : INGEST_PATH);
}

async function serverMessage(res: Response): Promise<string> {
  const text = (await res.text().catch(() => "")).slice(0, 4096);
  try {
    const body = JSON.parse(text);
    if (typeof body?.error === "string") return body.error.slice(0, MESSAGE_MAX);
  } catch { /* not JSON: keep the text */ }
  return text.slice(0, MESSAGE_MAX) || `HTTP ${res.status}`;
}

/** The messages of an error and its causes, joined (fetch says only "fetch failed" itself). */
function describe(e: unknown): string {
  const parts: string[] = [];
  for (let x: unknown = e, depth = 0; x !== undefined && x !== null && depth < 5; depth++) {
    parts.push(errorMessage(x));
    x = x instanceof Error ? x.cause : undefined;
  }
  return parts.join(": ");
}

/** True when the connection itself failed (refused, unreachable, DNS): nothing was sent. */
function isConnectError(text: string): boolean {
  return /client error \(Connect\)|tcp connect error|dns error|Connection refused|No route to host|Network is unreachable/i
    .test(text);
}

type Attempt = Response | { error: string; notStored: boolean };

/** POSTs gzip'd JSON with a bearer token, an agent version header and a timeout. */
export class Sender {
  readonly #urls: Record<"metrics" | "logs", string>;

  constructor(private readonly opts: SenderOptions) {
    this.#urls = {
      metrics: ingestUrl(opts.serverUrl, "metrics"),
      logs: ingestUrl(opts.serverUrl, "logs"),
    };
  }

  /** Sends one request; `signal` (shutdown) and the timeout both abort it. */
  async send(req: OutgoingRequest, signal?: AbortSignal): Promise<SendOutcome> {
    const body = await gzip(req.body, this.opts.gzipSync);
    const tokens = this.opts.tokens(req.host);
    let res = await this.#post(this.#urls[req.kind ?? "metrics"], body, tokens, signal);
    if (res instanceof Response && res.status === 401) {
      await res.body?.cancel();
      tokens.invalidate();
      res = await this.#post(this.#urls[req.kind ?? "metrics"], body, tokens, signal);
    }
    if (!(res instanceof Response)) {
      return { kind: "retry", reason: res.error, notStored: res.notStored };
    }
    return await this.#classify(res);
  }

  async #classify(res: Response): Promise<SendOutcome> {
    const status = res.status;
    if (status >= 200 && status < 300) {
      const text = await res.text().catch(() => "");
      return { kind: "sent", status, duplicate: /"duplicate"\s*:\s*true/.test(text) };
    }
    const message = await serverMessage(res);
    if (status === 401) {
      return {
        kind: "retry",
        status,
        unauthorized: true,
        notStored: true,
        reason: `server refused a freshly minted token (401: ${message}); ` +
          "AGENT_TOKEN most likely differs from the server's secret, or the clocks disagree",
      };
    }
    if (status >= 500 || RETRYABLE_STATUSES.has(status)) {
      const retryAfterMs = parseRetryAfter(res.headers.get("retry-after"), this.opts.now());
      return {
        kind: "retry",
        status,
        notStored: status < 500,
        reason: `server answered ${status}: ${message}`,
        ...(retryAfterMs === null ? {} : { retryAfterMs }),
      };
    }
    return { kind: "rejected", status, message };
  }

  async #post(
    url: string,
    body: Uint8Array,
    tokens: Tokens,
    signal?: AbortSignal,
  ): Promise<Attempt> {
    const controller = new AbortController();
    const timers = this.opts.timers ?? globalTimeouts;
    const timer = timers.setTimeout(() => controller.abort(), this.opts.timeoutMs);
    const onAbort = () => controller.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      return await this.opts.fetch(url, {
        method: "POST",
        body: body as Uint8Array<ArrayBuffer>,
        signal: controller.signal,
        headers: {
          "Authorization": `Bearer ${await tokens.get()}`,
          "Content-Type": "application/json",
          "Content-Encoding": "gzip",
          "X-Agent-Version": VERSION,
        },
      });
    } catch (e) {
      if (controller.signal.aborted) {
        return {
          error: signal?.aborted
            ? "aborted by shutdown"
            : `no answer within ${this.opts.timeoutMs} ms (SEND_TIMEOUT)`,
          notStored: false,
        };
      }
      const text = describe(e);
      return { error: `network error: ${text}`, notStored: isConnectError(text) };
    } finally {
      timers.clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }
}

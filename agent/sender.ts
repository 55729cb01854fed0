/**
 * Sends one batch to the server and classifies the outcome; it never retries on its own
 * except once after a 401, with a freshly minted token.
 *
 * @example
 * ```ts
 * const sender = new Sender({ serverUrl, tokens, fetch, timeoutMs: 10_000 });
 * const outcome = await sender.send(batch); // { kind: "sent" | "retry" | "rejected", … }
 * ```
 */
import type { MetricBatch } from "../shared/metric.ts";
import { VERSION } from "../shared/version.ts";
import { errorMessage } from "./errors.ts";
import type { Tokens } from "./token_source.ts";

/** The ingest path, appended to SERVER_URL. */
export const INGEST_PATH = "/api/v1/metrics";

/** Statuses worth retrying besides 5xx: the server or a proxy asks to come back later. */
const RETRYABLE_STATUSES = new Set([408, 429]);
/** Longest server message kept for the log. */
const MESSAGE_MAX = 500;

/** What happened: `sent` → remove, `retry` → keep and back off, `rejected` → drop for good. */
export type SendOutcome =
  | { kind: "sent"; status: number }
  | { kind: "retry"; reason: string; status?: number; unauthorized?: boolean }
  | { kind: "rejected"; status: number; message: string };

/** What the sender needs. */
export interface SenderOptions {
  serverUrl: URL;
  tokens: Tokens;
  fetch: typeof fetch;
  timeoutMs: number;
}

/** `${SERVER_URL}/api/v1/metrics`, keeping any path prefix SERVER_URL has. */
export function ingestUrl(serverUrl: URL): string {
  return serverUrl.href.replace(/\/+$/, "") + INGEST_PATH;
}

async function serverMessage(res: Response): Promise<string> {
  const text = (await res.text().catch(() => "")).slice(0, 4096);
  try {
    const body = JSON.parse(text);
    if (typeof body?.error === "string") return body.error.slice(0, MESSAGE_MAX);
  } catch { /* not JSON: keep the text */ }
  return text.slice(0, MESSAGE_MAX) || `HTTP ${res.status}`;
}

/** POSTs batches as JSON with a bearer token, an agent version header and a timeout. */
export class Sender {
  readonly #url: string;

  constructor(private readonly opts: SenderOptions) {
    this.#url = ingestUrl(opts.serverUrl);
  }

  /** Sends one batch; `signal` (shutdown) and the timeout both abort the request. */
  async send(batch: MetricBatch, signal?: AbortSignal): Promise<SendOutcome> {
    const body = JSON.stringify(batch);
    let res = await this.#post(body, signal);
    if (res instanceof Response && res.status === 401) {
      await res.body?.cancel();
      this.opts.tokens.invalidate();
      res = await this.#post(body, signal);
    }
    if (!(res instanceof Response)) return { kind: "retry", reason: res.error };
    return await this.#classify(res);
  }

  async #classify(res: Response): Promise<SendOutcome> {
    const status = res.status;
    if (status >= 200 && status < 300) {
      await res.body?.cancel();
      return { kind: "sent", status };
    }
    const message = await serverMessage(res);
    if (status === 401) {
      return {
        kind: "retry",
        status,
        unauthorized: true,
        reason: `server refused the token twice (401: ${message}); ` +
          "AGENT_TOKEN most likely differs from the server's secret, or the clocks disagree",
      };
    }
    if (status >= 500 || RETRYABLE_STATUSES.has(status)) {
      return { kind: "retry", status, reason: `server answered ${status}: ${message}` };
    }
    return { kind: "rejected", status, message };
  }

  async #post(body: string, signal?: AbortSignal): Promise<Response | { error: string }> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.opts.timeoutMs);
    const onAbort = () => controller.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      return await this.opts.fetch(this.#url, {
        method: "POST",
        body,
        signal: controller.signal,
        headers: {
          "Authorization": `Bearer ${await this.opts.tokens.get()}`,
          "Content-Type": "application/json",
          "X-Agent-Version": VERSION,
        },
      });
    } catch (e) {
      const timedOut = controller.signal.aborted && !signal?.aborted;
      return {
        error: timedOut
          ? `no answer within ${this.opts.timeoutMs} ms (SEND_TIMEOUT)`
          : signal?.aborted
          ? "aborted by shutdown"
          : `network error: ${errorMessage(e)}`,
      };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }
}

/**
 * Builds the app under test around a store, with a settable clock, captured logs and
 * counting request ids, plus small request helpers.
 */
import { createApp, type HttpConfig } from "../../../server/http/app.ts";
import type { MetricStore } from "../../../server/storage/metric_store.ts";
import { createLogger } from "../../../shared/log.ts";
import type { Metric, MetricBatch } from "../../../shared/metric.ts";
import type { MetricName } from "../../../shared/metric_names.ts";
import { TEST_SECRET } from "./tokens.ts";

/** The fixed "now" of every test: 2025-06-01T12:00:00Z. */
export const NOW = Date.parse("2025-06-01T12:00:00.000Z");
/** Default HTTP limits of the tests (production defaults). */
export const TEST_CONFIG: HttpConfig = {
  retentionMs: 30 * 86_400_000,
  hostStaleAfterMs: 30_000,
  hostDownAfterMs: 60_000,
  requestTimeoutMs: 30_000,
};

/** An app with its store, a clock tests can move, and every log line it wrote. */
export interface Harness {
  app: ReturnType<typeof createApp>;
  store: MetricStore;
  clock: { now: number };
  logs: Record<string, unknown>[];
}

/** Creates the app over `store` with the test secret and `clock` (shared with the store) as now. */
export function harness(
  store: MetricStore,
  config: Partial<HttpConfig> = {},
  clock: { now: number } = { now: NOW },
): Harness {
  const logs: Record<string, unknown>[] = [];
  let n = 0;
  const app = createApp({
    store,
    secret: TEST_SECRET,
    now: () => clock.now,
    log: createLogger("debug", (line) => logs.push(JSON.parse(line)), () => clock.now),
    config: { ...TEST_CONFIG, ...config },
    newRequestId: () => `req-${++n}`,
  });
  return { app, store, clock, logs };
}

/** One metric sample for `host`. */
export function metric(
  host: string,
  name: MetricName,
  time: number,
  value: number,
  labels: Record<string, string> = {},
): Metric {
  return { host, name, time: new Date(time).toISOString(), value, labels };
}

/** A batch of `metrics` for `host` with id `id`. */
export function batch(id: string, host: string, metrics: Metric[]): MetricBatch {
  return { id, host, metrics };
}

/** POSTs `body` (JSON-encoded unless a string, bytes or stream) to the ingest route. */
export function postMetrics(
  h: Harness,
  body: unknown,
  token: string | null,
  headers: Record<string, string> = {},
): Promise<Response> {
  const raw = typeof body === "string" || body instanceof Uint8Array ||
      body instanceof ReadableStream
    ? body as BodyInit
    : JSON.stringify(body);
  return Promise.resolve(
    h.app.request("/api/v1/metrics", {
      method: "POST",
      body: raw,
      headers: {
        "content-type": "application/json",
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
    }),
  );
}

/** GETs `path` with an optional bearer token. */
export function get(h: Harness, path: string, token: string | null = null): Promise<Response> {
  return Promise.resolve(
    h.app.request(path, { headers: token ? { authorization: `Bearer ${token}` } : {} }),
  );
}

/**
 * Shared set-up of the alerting tests: a real migrated database of each backend with a
 * metric store, a clock the test moves, an evaluator wired like production (without the
 * leader lock), helpers to send samples and read back states, transitions and outbox
 * messages, and a real local HTTP receiver.
 */
import type { AlertConfig } from "../../../server/alerts/alert_config.ts";
import { AlertQueries } from "../../../server/alerts/alert_queries.ts";
import {
  type CycleReport,
  Evaluator,
  type EvaluatorOptions,
} from "../../../server/alerts/evaluator.ts";
import { validateRules } from "../../../server/alerts/rule_validation.ts";
import { SilenceStore } from "../../../server/alerts/silence_store.ts";
import type { Db, Queryable } from "../../../server/db/db.ts";
import { OutboxStore } from "../../../server/notify/outbox_store.ts";
import type { Receiver } from "../../../server/notify/receiver.ts";
import { validateReceiver } from "../../../server/notify/receiver.ts";
import type { SqlMetricStore } from "../../../server/storage/sql_metric_store.ts";
import { silentLogger } from "../../../shared/log.ts";
import type { MetricName } from "../../../shared/metric_names.ts";
import { type Backend, BACKENDS } from "../storage/backends.ts";

/** The tests' start time: 2025-06-01T12:00:00Z. */
export const T0 = Date.parse("2025-06-01T12:00:00Z");
/** One second. */
export const S = 1000;

/** A test clock. */
export interface Clock {
  now: number;
}

/** Rules from plain objects, validated as a rules file would be. */
export function rules(raw: unknown[]): AlertConfig["rules"] {
  return validateRules(raw, "test");
}

/** A receiver from a plain object. */
export function receiver(raw: Record<string, unknown>): Receiver {
  const r = validateReceiver(raw, "test");
  if (Array.isArray(r)) throw new Error(r.join("; "));
  return r;
}

/** Everything an evaluator test works with. */
export interface AlertWorld {
  db: Db;
  store: SqlMetricStore;
  clock: Clock;
  config: AlertConfig;
  evaluator: Evaluator;
  queries: AlertQueries;
  outbox: OutboxStore;
  silences: SilenceStore;
  /** Sends one sample for each of `values` at `clock.now − 1 s` (host seen now). */
  send(
    host: string,
    name: MetricName,
    value: number,
    labels?: Record<string, string>,
  ): Promise<void>;
  /** Advances the clock by `ms` and runs one cycle. */
  after(ms: number): Promise<CycleReport>;
  /** Runs one cycle at the current time. */
  cycle(): Promise<CycleReport>;
  /** A new evaluator on the same database (what a restart or a new leader starts with). */
  newEvaluator(over?: Partial<EvaluatorOptions>): Evaluator;
  /** Instance state of `rule` on `host` (and labels), as stored. */
  state(rule: string, host: string, labels?: Record<string, string>): Promise<string | undefined>;
  /** Stored outbox messages, oldest first, with parsed bodies. */
  // deno-lint-ignore no-explicit-any -- payloads are asserted field by field
  messages(): Promise<{ receiver: string; status: string; rule: string; body: any }[]>;
}

let ids = 0;

/** Builds the evaluator options of a world. */
function evaluatorOptions(
  db: Db,
  clock: Clock,
  get: () => AlertConfig,
  over: Partial<EvaluatorOptions>,
): EvaluatorOptions {
  return {
    db,
    write: (fn: (tx: Queryable) => Promise<void>) => db.transaction((tx) => fn(tx)),
    config: get,
    silences: new SilenceStore(db),
    now: () => clock.now,
    newId: () => `msg_test_${++ids}_${crypto.randomUUID().slice(0, 8)}`,
    log: silentLogger,
    replica: "test-replica",
    hostDownAfterMs: 60 * S,
    repeatIntervalMs: 4 * 3_600_000,
    externalUrl: "http://miniobserv.test",
    budgetMs: 60_000,
    ...over,
  };
}

/** Opens a fresh world on `backend`; `over` replaces evaluator options. */
export async function openWorld(
  backend: Backend,
  config: AlertConfig,
  over: Partial<EvaluatorOptions> = {},
): Promise<AlertWorld & { close(): Promise<void> }> {
  const clock: Clock = { now: T0 };
  const opened = await backend.open({ now: () => clock.now });
  const db = opened.db;
  const world = {
    db,
    store: opened.store,
    clock,
    config,
    queries: new AlertQueries(db),
    outbox: new OutboxStore(db),
    silences: new SilenceStore(db),
  } as AlertWorld & { close(): Promise<void> };
  world.newEvaluator = (o = {}) =>
    new Evaluator(evaluatorOptions(db, clock, () => world.config, { ...over, ...o }));
  world.evaluator = world.newEvaluator();
  world.send = async (host, name, value, labels = {}) => {
    await opened.store.ingest(
      {
        id: `b-${++ids}`,
        host,
        metrics: [{ host, name, time: new Date(clock.now - S).toISOString(), value, labels }],
      },
      "0.1.0",
      new Date(clock.now),
    );
  };
  world.cycle = () => world.evaluator.runCycle();
  world.after = (ms) => {
    clock.now += ms;
    return world.evaluator.runCycle();
  };
  world.state = async (rule, host, labels = {}) => {
    const rows = await world.queries.alerts({
      states: ["ok", "pending", "firing", "nodata"],
      rule,
      host,
      limit: 10_000,
    });
    return rows.find((r) => JSON.stringify(sortKeys(r.labels)) === JSON.stringify(sortKeys(labels)))
      ?.state;
  };
  world.messages = async () => {
    const rows = await db.query(
      "SELECT receiver, status, rule, body FROM alert_notifications ORDER BY seq",
    );
    return rows.map((r) => ({
      receiver: r.receiver as string,
      status: r.status as string,
      rule: r.rule as string,
      body: JSON.parse(r.body as string),
    }));
  };
  world.close = opened.close;
  return world;
}

function sortKeys(o: Record<string, string>) {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0));
}

/** Registers `fn` once per backend (PGlite, PostgreSQL, TimescaleDB unless `skipTimescale`). */
export function testOnBackends(
  name: string,
  fn: (backend: Backend) => Promise<void>,
  opts: { skipTimescale?: boolean } = {},
): void {
  for (const backend of BACKENDS) {
    if (opts.skipTimescale && backend.name === "timescaledb") continue;
    Deno.test({
      name: `${name} [${backend.name}]`,
      ignore: !!backend.skip,
      sanitizeResources: false,
      sanitizeOps: false,
      fn: () => fn(backend),
    });
  }
}

/** A request a test receiver got. */
export interface ReceivedRequest {
  headers: Record<string, string>;
  body: string;
  status: number;
}

/** A real HTTP receiver on 127.0.0.1; `answer(n)` gives the status of the n-th request (0-based). */
export function startReceiver(
  answer: (n: number, req: ReceivedRequest) => number | Promise<number>,
) {
  const requests: ReceivedRequest[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const entry: ReceivedRequest = {
      headers: Object.fromEntries(req.headers),
      body: await req.text(),
      status: 0,
    };
    const n = requests.length;
    requests.push(entry);
    entry.status = await answer(n, entry);
    return new Response(entry.status < 300 ? "ok" : "nope", { status: entry.status });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/hook`,
    requests,
    close: () => server.shutdown(),
  };
}

/** Verifies a Standard Webhooks signature the way a receiver library does (own HMAC code). */
export async function verifyStandardWebhook(
  secretWhsec: string,
  headers: Record<string, string>,
  body: string,
): Promise<boolean> {
  const key = Uint8Array.from(atob(secretWhsec.replace(/^whsec_/, "")), (c) => c.charCodeAt(0));
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const signed = `${headers["webhook-id"]}.${headers["webhook-timestamp"]}.${body}`;
  const mac = new Uint8Array(
    await crypto.subtle.sign("HMAC", k, new TextEncoder().encode(signed)),
  );
  const expected = btoa(String.fromCharCode(...mac));
  return (headers["webhook-signature"] ?? "").split(" ").some((s) => s === `v1,${expected}`);
}

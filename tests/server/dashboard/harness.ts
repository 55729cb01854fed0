/**
 * The app with its dashboard over a real migrated database (PGlite in memory), real alerting
 * and the real static files, a clock the test moves, and request helpers that sign in and
 * post forms like a browser does.
 */
import type { AlertConfig } from "../../../server/alerts/alert_config.ts";
import { createAlerting } from "../../../server/alerts/setup.ts";
import { loadDashboardAssets } from "../../../server/dashboard/assets.ts";
import type { DashboardConfig } from "../../../server/dashboard/config.ts";
import { CSRF_FIELD } from "../../../server/dashboard/csrf.ts";
import { SqlFleetReader } from "../../../server/dashboard/fleet_reader.ts";
import { createDashboard } from "../../../server/dashboard/setup.ts";
import { createApp } from "../../../server/http/app.ts";
import { silentLogger } from "../../../shared/log.ts";
import { TEST_CONFIG } from "../http/harness.ts";
import { TEST_SECRET } from "../http/tokens.ts";
import { type AlertWorld, openWorld, rules } from "../alerts/helpers.ts";
import { backendNamed } from "../storage/backends.ts";

/** The password of the test dashboards. */
export const PASSWORD = "dashboard test password";

/** An alert rule that fires on any CPU value (for banner and silence tests). */
export const ALWAYS_FIRING = rules([
  {
    name: "AnyCpu",
    metric: "cpu.usage_pct",
    labels: { core: "total" },
    window: "1m",
    op: ">=",
    threshold: 0,
  },
]);

/** Options of `openDashboard`. */
export interface DashboardHarnessOptions {
  config?: Partial<DashboardConfig>;
  /** Mount extra routes on the app before the first request (e.g. the log routes). */
  extend?: (app: ReturnType<typeof createApp>, now: () => number) => void;
  alerting?: boolean;
}

/** An app with a dashboard, its world and helpers. */
export interface DashboardHarness {
  app: ReturnType<typeof createApp>;
  world: AlertWorld;
  stop(): Promise<void>;
  /** A request as a same-origin browser page sends it (`Sec-Fetch-Site`, `Origin`). */
  request(
    path: string,
    init?: {
      method?: string;
      cookie?: string | null;
      form?: Record<string, string>;
      headers?: Record<string, string>;
    },
  ): Promise<Response>;
  /** Signs in with the password; the cookie (`name=value`). */
  signIn(fields?: Record<string, string>): Promise<string>;
  /** The CSRF token on a page (from its hidden field). */
  csrfOf(path: string, cookie: string): Promise<string>;
}

/** Opens a dashboard on a fresh PGlite database. */
export async function openDashboard(opts: DashboardHarnessOptions = {}): Promise<DashboardHarness> {
  const initial: AlertConfig = { rules: ALWAYS_FIRING, receivers: [] };
  const world = await openWorld(backendNamed("pglite"), initial);
  const now = () => world.clock.now;
  const alerting = createAlerting({
    db: world.db,
    initial,
    load: () => Promise.resolve(initial),
    evalIntervalMs: 15_000,
    repeatIntervalMs: 4 * 3_600_000,
    hostDownAfterMs: 60_000,
    retentionMs: TEST_CONFIG.retentionMs,
    externalUrl: "",
    replica: "dashboard-test",
    fetch,
    now,
    random: Math.random,
    newId: () => crypto.randomUUID(),
    log: silentLogger,
    timers: { setTimeout: () => 0, clearTimeout: () => {} },
  });
  const config: DashboardConfig = {
    auth: "password",
    password: PASSWORD,
    sessionTtlMs: 3_600_000,
    refreshMs: 500,
    cookieSecure: "auto",
    ...opts.config,
  };
  const dashboard = createDashboard({
    config,
    secret: TEST_SECRET,
    assets: await loadDashboardAssets((url) => Deno.readFile(url)),
    store: world.store,
    reader: new SqlFleetReader(world.db),
    alerting: opts.alerting === false ? undefined : alerting.api,
    thresholds: {
      staleAfterMs: TEST_CONFIG.hostStaleAfterMs,
      downAfterMs: TEST_CONFIG.hostDownAfterMs,
    },
    now,
    timers: {
      setTimeout: (fn, ms) => setTimeout(fn, ms) as unknown as number,
      clearTimeout: (id) => clearTimeout(id),
    },
    log: silentLogger,
  });
  const app = createApp({
    store: world.store,
    secret: TEST_SECRET,
    now,
    log: silentLogger,
    config: TEST_CONFIG,
    newRequestId: () => crypto.randomUUID(),
    alerting: opts.alerting === false ? undefined : alerting.api,
    dashboard: dashboard.setup,
  });
  opts.extend?.(app, now);

  const request: DashboardHarness["request"] = async (path, init = {}) => {
    const headers: Record<string, string> = {
      host: "localhost",
      "sec-fetch-site": "same-origin",
      ...init.headers,
    };
    if (init.cookie) headers.cookie = init.cookie;
    let body: string | undefined;
    if (init.form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      headers.origin ??= "http://localhost";
      body = String(new URLSearchParams(init.form));
    }
    return await app.request(path, {
      method: init.method ?? (init.form ? "POST" : "GET"),
      headers,
      body,
      redirect: "manual",
    });
  };
  const signIn: DashboardHarness["signIn"] = async (fields = { password: PASSWORD }) => {
    const res = await request("/signin", { form: { next: "/", ...fields } });
    await res.body?.cancel();
    const set = res.headers.get("set-cookie") ?? "";
    const m = /^(mo_session=[^;]+)/.exec(set);
    if (res.status !== 303 || !m) throw new Error(`sign-in failed: ${res.status} ${set}`);
    return m[1];
  };
  const csrfOf: DashboardHarness["csrfOf"] = async (path, cookie) => {
    const html = await (await request(path, { cookie })).text();
    const m = new RegExp(`name="${CSRF_FIELD}" value="([^"]+)"`).exec(html);
    if (!m) throw new Error(`no CSRF field on ${path}`);
    return m[1];
  };
  let closed = false;
  return {
    app,
    world,
    request,
    signIn,
    csrfOf,
    stop: async () => {
      dashboard.stop();
      if (!closed) {
        closed = true;
        await world.close();
      }
    },
  };
}

/** Registers a dashboard test (PGlite holds resources across the async test body). */
export function dashboardTest(name: string, fn: () => Promise<void>): void {
  Deno.test({ name, sanitizeResources: false, sanitizeOps: false, fn });
}

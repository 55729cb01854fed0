/**
 * `GET /dashboard/events`: the live updates of the dashboard's pages, as server-sent events,
 * behind the session cookie. Parameters: `fleet=1` (every host, and sparklines), `host=<name>`
 * (that host only); neither: alerts only. Events, each sent only when its content changed:
 *
 * - `hosts` `{"full", "hosts": [HostSummary…], "removed": [names], "at"}`
 * - `sparks` `{"from", "bucket", "hosts": {name: [[ms, cpu %]…]}}` (with `fleet=1`)
 * - `alerts` `{"alerts": [AlertBrief…] | null}` (pending and firing; null: alerting is off)
 * - `feed` `{"ok", "error", "at"}`: whether the server could read the database
 *
 * - `ping` `{}` after 15 s without another event: keeps proxies from closing the connection,
 *   and lets pages notice a stream that went silent.
 *
 * `retry: 2000` asks browsers to reconnect after 2 s. Shutting down ends every stream (pages
 * reconnect by themselves).
 */
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { validateHost } from "../../shared/metric.ts";
import { requireSession } from "./auth_routes.tsx";
import type { DashboardDeps } from "./deps.ts";
import type { DashEnv } from "./env.ts";
import { HostDiffer, ValueDiffer } from "./events_diff.ts";
import { SPARK_MAX_AGE_MS } from "./live_feed.ts";

/** Default longest silence before a `ping` event. */
export const EVENTS_HEARTBEAT_MS = 15_000;
/** How soon after a host appears its sparkline is read (its first samples must land first). */
export const NEW_HOST_SPARK_DELAY_MS = 5000;
/** What browsers are told to wait before reconnecting. */
export const EVENTS_RETRY_MS = 2000;

/** The event stream route. */
export function eventsRoutes(deps: DashboardDeps): Hono<DashEnv> {
  const app = new Hono<DashEnv>();
  const heartbeatMs = deps.heartbeatMs ?? EVENTS_HEARTBEAT_MS;
  app.get("/dashboard/events", requireSession(deps, "data"), (c) => {
    const params = new URL(c.req.url).searchParams;
    for (const k of params.keys()) {
      if (k !== "fleet" && k !== "host") {
        return c.json({ error: `unknown parameter ${JSON.stringify(k)}` }, 400);
      }
    }
    const fleet = params.get("fleet") === "1";
    const onlyHost = params.get("host");
    if (onlyHost !== null) {
      const problem = validateHost(onlyHost);
      if (problem) return c.json({ error: problem }, 400);
    }
    const log = c.get("log");
    const ctrl = deps.streams.open();
    const sub = deps.feed.subscribe();
    const end = () => {
      ctrl.abort();
      sub.close();
      deps.streams.release(ctrl);
    };
    return streamSSE(c, async (stream) => {
      stream.onAbort(end);
      const hostsDiff = new HostDiffer();
      const alertsDiff = new ValueDiffer();
      const feedDiff = new ValueDiffer();
      let sparksAt = 0;
      // A host that appears gets its sparkline soon, not at the next 30 s refresh.
      const knownHosts = new Set<string>();
      let sparksDueAt = Infinity;
      let lastWrite = deps.now();
      const send = async (event: string, data: unknown, retry?: number) => {
        lastWrite = deps.now();
        await stream.writeSSE({ event, data: JSON.stringify(data), retry });
      };
      try {
        await send("feed", { ok: true, error: null, at: deps.now() }, EVENTS_RETRY_MS);
        while (!ctrl.signal.aborted) {
          const beat = new AbortController();
          const timer = setTimeout(() => beat.abort(), heartbeatMs);
          const snap = await sub.next(AbortSignal.any([ctrl.signal, beat.signal]));
          clearTimeout(timer);
          if (ctrl.signal.aborted || (snap === null && sub.closed)) break;
          if (snap !== null) {
            if (feedDiff.changed(snap.error)) {
              await send("feed", { ok: snap.error === null, error: snap.error, at: snap.at });
            }
            if (fleet || onlyHost !== null) {
              const hosts = fleet ? snap.hosts : snap.hosts.filter((h) => h.host === onlyHost);
              const change = hostsDiff.diff(hosts);
              if (change) await send("hosts", { ...change, at: snap.at });
              for (const h of change?.hosts ?? []) {
                const appeared = !change!.full && !knownHosts.has(h.host);
                if (appeared && sparksDueAt === Infinity) {
                  sparksDueAt = deps.now() + NEW_HOST_SPARK_DELAY_MS;
                }
                knownHosts.add(h.host);
              }
            }
            if (alertsDiff.changed(snap.alerts)) await send("alerts", { alerts: snap.alerts });
            const due = deps.now() >= sparksDueAt;
            if (fleet && (due || deps.now() - sparksAt >= SPARK_MAX_AGE_MS)) {
              try {
                if (due) sparksDueAt = Infinity;
                const sparks = await deps.feed.sparklines(
                  due ? NEW_HOST_SPARK_DELAY_MS : undefined,
                );
                if (sparks.at !== sparksAt) {
                  sparksAt = sparks.at;
                  await send("sparks", {
                    from: sparks.fromMs,
                    bucket: sparks.bucketMs,
                    hosts: Object.fromEntries(sparks.byHost),
                  });
                }
              } catch (e) {
                log.warn("dashboard: sparklines failed", { error: (e as Error).message });
                sparksAt = deps.now();
              }
            }
          }
          if (deps.now() - lastWrite >= heartbeatMs) await send("ping", {});
        }
      } finally {
        end();
      }
    }, (err) => {
      log.warn("dashboard: event stream ended with an error", { error: err.message });
      end();
      return Promise.resolve();
    });
  });
  return app;
}

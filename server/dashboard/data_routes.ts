/**
 * The dashboard's data endpoints, all behind the session cookie (401 JSON without one):
 *
 * - `GET /dashboard/session`: who is signed in and until when (pages check it after a
 *   failed request to tell "signed out" from "server unreachable").
 * - `GET /dashboard/api/hosts/{host}/series?from&to&bucket&cores`: every chart of the host
 *   page in one answer, each series computed exactly as `GET /api/v1/metrics/query` with
 *   `agg=avg` computes it (same parser, same store call).
 * - `GET /dashboard/api/v1/{path}`: read-only pass-through to the JSON API (`GET` of the
 *   read endpoints only: log search, live tail, hosts, alerts, …), signed with a short-lived
 *   `read` token minted for `dashboard:<who>`. A cookie never reaches the ingest routes.
 */
import { Hono } from "hono";
import type { MetricName } from "../../shared/metric_names.ts";
import { parseMetricQuery } from "../http/query_params.ts";
import type { ApiCaller } from "./api_caller.ts";
import { requireSession } from "./auth_routes.tsx";
import type { DashboardDeps } from "./deps.ts";
import type { DashEnv } from "./env.ts";
import { endOnAbort } from "./streams.ts";

/** The series the host page charts; CPU per core is added on demand. */
export const HOST_CHART_SERIES: readonly { name: MetricName; labels?: Record<string, string> }[] = [
  { name: "cpu.usage_pct", labels: { core: "total" } },
  { name: "mem.used_bytes" },
  { name: "mem.total_bytes" },
  { name: "disk.used_pct" },
  { name: "disk.read_bytes" },
  { name: "disk.write_bytes" },
  { name: "net.bytes_in" },
  { name: "net.bytes_out" },
  { name: "system.load1" },
  { name: "system.load5" },
  { name: "system.load15" },
];

/** JSON API paths (below `/api/v1/`) the pass-through serves. */
export const PROXIED_API_PATHS: ReadonlySet<string> = new Set([
  "metrics/query",
  "metrics/latest",
  "hosts",
  "alerts",
  "alerts/rules",
  "alerts/history",
  "notifications",
  "silences",
  "logs/query",
  "logs/stream",
]);

/** The data routes. */
export function dataRoutes(deps: DashboardDeps, api: ApiCaller): Hono<DashEnv> {
  const app = new Hono<DashEnv>();

  app.get("/dashboard/session", requireSession(deps, "data"), (c) => {
    const s = c.get("session");
    return c.json({
      sub: s.sub,
      role: s.role,
      method: s.method,
      expires_at: s.method === "none" ? null : new Date(s.exp).toISOString(),
    });
  });

  app.get("/dashboard/api/hosts/:host/series", requireSession(deps, "data"), async (c) => {
    const host = c.req.param("host");
    const params = new URL(c.req.url).searchParams;
    const known = new Set(["from", "to", "bucket", "cores"]);
    for (const k of params.keys()) {
      if (!known.has(k)) return c.json({ error: `unknown parameter ${JSON.stringify(k)}` }, 400);
    }
    const cores = params.get("cores");
    if (cores !== null && cores !== "0" && cores !== "1") {
      return c.json({ error: "cores must be 0 or 1" }, 400);
    }
    const wanted = [...HOST_CHART_SERIES];
    if (cores === "1") wanted.push({ name: "cpu.usage_pct" });
    const nowMs = deps.now();
    const queries = [];
    for (const w of wanted) {
      const p = new URLSearchParams({ host, name: w.name, agg: "avg" });
      for (const k of ["from", "to", "bucket"]) {
        const v = params.get(k);
        if (v !== null && v !== "") p.set(k, v);
      }
      for (const [k, v] of Object.entries(w.labels ?? {})) p.set(`label.${k}`, v);
      const parsed = parseMetricQuery(p, { nowMs, retentionMs: deps.retentionMs });
      if (!parsed.ok) return c.json({ error: parsed.error }, 400);
      queries.push(parsed.value);
    }
    const results = await Promise.all(queries.map((q) => deps.store.query(q)));
    const series = [];
    for (let i = 0; i < queries.length; i++) {
      const perCore = queries[i].name === "cpu.usage_pct" &&
        Object.keys(queries[i].labels).length === 0;
      for (const s of results[i]) {
        if (perCore && s.labels.core === "total") continue;
        series.push({
          name: queries[i].name,
          labels: s.labels,
          points: s.points.map((pt) => [Date.parse(pt.time), pt.value]),
        });
      }
    }
    const q0 = queries[0];
    return c.json({
      host,
      from: q0.from.toISOString(),
      to: q0.to.toISOString(),
      bucket: q0.bucket,
      agg: "avg",
      series,
    });
  });

  app.get("/dashboard/api/v1/*", requireSession(deps, "data"), async (c) => {
    const url = new URL(c.req.url);
    const path = url.pathname.slice("/dashboard/api/v1/".length);
    if (!PROXIED_API_PATHS.has(path)) return c.json({ error: "not found" }, 404);
    const ctrl = deps.streams.open();
    const onClientGone = () => ctrl.abort();
    c.req.raw.signal?.addEventListener("abort", onClientGone, { once: true });
    let res: Response;
    try {
      res = await api.get(path, url.searchParams, c.get("session").sub, c.req.url, {
        signal: ctrl.signal,
        headers: { accept: c.req.header("accept") ?? "*/*" },
      });
    } catch (e) {
      deps.streams.release(ctrl);
      throw e;
    }
    const headers = new Headers();
    for (const k of ["content-type", "cache-control", "retry-after"]) {
      const v = res.headers.get(k);
      if (v) headers.set(k, v);
    }
    const streaming = (res.headers.get("content-type") ?? "").startsWith("text/event-stream");
    if (!streaming || !res.body) {
      deps.streams.release(ctrl);
      return new Response(res.body, { status: res.status, headers });
    }
    const body = endOnAbort(res.body, ctrl.signal, () => {
      deps.streams.release(ctrl);
      c.req.raw.signal?.removeEventListener("abort", onClientGone);
    });
    return new Response(body, { status: res.status, headers });
  });
  return app;
}

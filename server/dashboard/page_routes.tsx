/**
 * The dashboard's pages (`/`, `/hosts/{host}`, `/logs`, `/alerts`, the silence form) and
 * its two state-changing forms (create a silence, expire one), all behind the session.
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { rulesView } from "../alerts/alerting_api.ts";
import { validateSilenceInput } from "../alerts/silences.ts";
import { silenceStatus } from "../alerts/silences.ts";
import { validateHost } from "../../shared/metric.ts";
import type { ApiCaller } from "./api_caller.ts";
import { readForm, requireCsrf, requireSession } from "./auth_routes.tsx";
import type { DashboardDeps } from "./deps.ts";
import type { DashEnv } from "./env.ts";
import { SPARK_WINDOW_MS } from "./live_feed.ts";
import { chrome, htmlPage } from "./page_context.ts";
import {
  AlertsPage,
  SILENCE_DURATIONS,
  SilenceFormPage,
  type SilenceFormValues,
  type SilenceView,
} from "./pages/alerts.tsx";
import { HostPage, UnknownHostPage } from "./pages/host.tsx";
import { type LogEntryView, type LogFilters, LogsPage } from "./pages/logs.tsx";
import { OverviewPage } from "./pages/overview.tsx";
import { parseInstantText, parseRange } from "./static/js/range.js";
import { parseSort, sortHosts } from "./static/js/sort.js";

/** Longest filter text read from a URL. */
const MAX_FILTER_LENGTH = 1000;
/** Entries per page of the logs page. */
export const LOGS_PAGE_SIZE = 100;
/** How many silences, transitions and notifications the alerts page lists. */
export const ALERTS_PAGE_LIMITS = { silences: 50, transitions: 100, notifications: 50 };

const FLASH: Record<string, string> = {
  silenced: "Silence created. Matching alerts keep their state but send no notifications.",
  expired: "Silence expired.",
  "already-expired": "That silence had already ended.",
  missing: "No such silence.",
};

function text(c: Context, key: string): string {
  return (c.req.query(key) ?? "").slice(0, MAX_FILTER_LENGTH);
}

/** The logs filters from the URL, and the API query they make (or why they cannot). */
export function logsQuery(
  f: LogFilters,
): { ok: true; params: URLSearchParams; filterQuery: string } | { ok: false; error: string } {
  const api = new URLSearchParams();
  const shown = new URLSearchParams();
  for (const k of ["q", "host", "level", "source"] as const) {
    const v = k === "q" ? f[k] : f[k].trim();
    if (v === "") continue;
    api.set(k, v);
    shown.set(k, v);
  }
  for (const k of ["from", "to"] as const) {
    const v = f[k].trim();
    if (v === "") continue;
    const ms = parseInstantText(v);
    if (Number.isNaN(ms)) return { ok: false, error: `${k} must be a date and time (UTC)` };
    api.set(k, new Date(ms).toISOString());
    shown.set(k, v);
  }
  return { ok: true, params: api, filterQuery: String(shown) };
}

/** The page routes. */
export function pageRoutes(deps: DashboardDeps, api: ApiCaller): Hono<DashEnv> {
  const app = new Hono<DashEnv>();
  const page = requireSession(deps, "page");
  const log = (c: Context<DashEnv>) => c.get("log");

  app.get("/", page, async (c) => {
    const [snap, sparks] = await Promise.all([
      deps.feed.snapshot(),
      deps.feed.sparklines().catch((e) => {
        log(c).warn("dashboard: sparklines failed", { error: (e as Error).message });
        return null;
      }),
    ]);
    const sort = parseSort(c.req.query("sort"), c.req.query("dir"));
    return htmlPage(
      c,
      <OverviewPage
        chrome={chrome(c, deps, { alerts: snap.alerts })}
        hosts={sortHosts(snap.hosts, sort.key, sort.desc)}
        sparks={sparks}
        sparkWindowMs={SPARK_WINDOW_MS}
        filter={text(c, "q")}
        sort={sort}
        error={snap.error}
      />,
    );
  });

  app.get("/hosts/:host", page, async (c) => {
    const host = c.req.param("host");
    const snap = await deps.feed.snapshot();
    const ch = chrome(c, deps, { alerts: snap.alerts });
    const summary = validateHost(host) === null
      ? snap.hosts.find((h) => h.host === host)
      : undefined;
    if (!summary) return htmlPage(c, <UnknownHostPage chrome={ch} host={host} />, 404);
    const latest = await deps.store.latest(host);
    const now = deps.now();
    let range = parseRange(
      { range: c.req.query("range"), from: c.req.query("from"), to: c.req.query("to") },
      now,
    );
    let rangeError: string | null = null;
    if (!range.ok) {
      rangeError = `${range.error}; showing the last hour.`;
      range = parseRange({}, now);
    }
    if (!range.ok) throw new Error("dashboard: the default range is invalid");
    return htmlPage(
      c,
      <HostPage
        chrome={ch}
        host={host}
        summary={summary}
        latest={latest}
        range={range.value}
        rangeError={rangeError}
      />,
    );
  });

  app.get("/logs", page, async (c) => {
    const filters: LogFilters = {
      q: text(c, "q"),
      host: text(c, "host"),
      level: text(c, "level"),
      source: text(c, "source"),
      from: text(c, "from"),
      to: text(c, "to"),
    };
    const cursor = text(c, "cursor");
    const snap = await deps.feed.snapshot();
    const built = logsQuery(filters);
    let entries: LogEntryView[] = [];
    let nextCursor: string | null = null;
    let error: string | null = null;
    let status: 200 | 400 | 502 = 200;
    let available = true;
    if (!built.ok) {
      error = built.error;
      status = 400;
    } else {
      const params = new URLSearchParams(built.params);
      params.set("limit", String(LOGS_PAGE_SIZE));
      if (cursor) params.set("cursor", cursor);
      const res = await api.get("logs/query", params, c.get("session").sub, c.req.url);
      const body = await res.json().catch(() => ({})) as {
        entries?: LogEntryView[];
        next_cursor?: string | null;
        error?: string;
      };
      if (res.status === 404) {
        available = false;
      } else if (!res.ok) {
        status = res.status === 400 ? 400 : 502;
        error = res.status === 400
          ? `That search cannot run: ${body.error ?? "bad filter"}`
          : "The log search failed; try again.";
      } else {
        entries = body.entries ?? [];
        nextCursor = body.next_cursor ?? null;
      }
    }
    return htmlPage(
      c,
      <LogsPage
        chrome={chrome(c, deps, { alerts: snap.alerts })}
        filters={filters}
        filterQuery={built.ok ? built.filterQuery : ""}
        apiQuery={built.ok ? String(built.params) : ""}
        entries={entries}
        nextCursor={nextCursor}
        continued={cursor !== ""}
        live={c.req.query("live") === "1"}
        hosts={snap.hosts.map((h) => h.host)}
        error={error}
        available={available}
      />,
      status,
    );
  });

  app.get("/alerts", page, async (c) => {
    const alerting = deps.alerting;
    const snap = await deps.feed.snapshot(0);
    const ch = chrome(c, deps, { alerts: snap.alerts });
    const canWrite = c.get("session").role === "admin";
    if (!alerting) {
      return htmlPage(
        c,
        <AlertsPage
          chrome={ch}
          available={false}
          active={[]}
          rules={null}
          silences={[]}
          transitions={[]}
          notifications={[]}
          canWrite={canWrite}
          flash={null}
        />,
      );
    }
    const now = deps.now();
    const [rules, silences, transitions, notifications] = await Promise.all([
      rulesView(alerting).catch((e) => {
        log(c).warn("dashboard: reading rules failed", { error: (e as Error).message });
        return null;
      }),
      alerting.silences.list(now, true),
      alerting.queries.history({
        from: now - 86_400_000,
        to: now,
        limit: ALERTS_PAGE_LIMITS.transitions,
      }),
      alerting.outbox.list({ limit: ALERTS_PAGE_LIMITS.notifications }),
    ]);
    const order = { active: 0, pending: 1, expired: 2 };
    const silenceViews: SilenceView[] = silences
      .map((s) => ({ ...s, status: silenceStatus(s, now) }))
      .sort((a, b) => order[a.status] - order[b.status] || b.endsAt - a.endsAt)
      .slice(0, ALERTS_PAGE_LIMITS.silences);
    return htmlPage(
      c,
      <AlertsPage
        chrome={ch}
        available
        active={snap.alerts ?? []}
        rules={rules}
        silences={silenceViews}
        transitions={transitions}
        notifications={notifications}
        canWrite={canWrite}
        flash={FLASH[c.req.query("done") ?? ""] ?? null}
      />,
    );
  });

  const adminOnly = (c: Context<DashEnv>) =>
    c.get("session").role === "admin" ? null : c.text(
      "Forbidden: signed in with a read token; silences need the password or an admin token.",
      403,
    );

  app.get("/alerts/silence", page, async (c) => {
    const denied = adminOnly(c);
    if (denied) return denied;
    if (!deps.alerting) return c.redirect("/alerts", 303);
    const snap = await deps.feed.snapshot();
    return htmlPage(
      c,
      <SilenceFormPage
        chrome={chrome(c, deps, { alerts: snap.alerts })}
        values={{ rule: text(c, "rule"), host: text(c, "host"), duration: "1h", comment: "" }}
        error={null}
      />,
    );
  });

  app.post("/alerts/silences", page, requireCsrf(deps), async (c) => {
    const denied = adminOnly(c);
    if (denied) return denied;
    const alerting = deps.alerting;
    if (!alerting) return c.redirect("/alerts", 303);
    const form = (await readForm(c))!;
    const values: SilenceFormValues = {
      rule: (form.get("rule") ?? "").trim(),
      host: (form.get("host") ?? "").trim(),
      duration: form.get("duration") ?? "",
      comment: (form.get("comment") ?? "").trim(),
    };
    const now = deps.now();
    const duration = SILENCE_DURATIONS.find((d) => d.value === values.duration);
    let error: string | null = null;
    if (values.rule === "") error = "The rule is required.";
    else if (!duration) error = "Choose how long the silence lasts.";
    else if (values.comment === "") error = "Say why in the comment.";
    if (!error && duration) {
      const matchers = [{ name: "alertname", value: values.rule }];
      if (values.host !== "") matchers.push({ name: "host", value: values.host });
      const input = validateSilenceInput({
        matchers,
        ends_at: new Date(now + duration.ms).toISOString(),
        comment: values.comment,
      }, now);
      if (input.ok) {
        const s = await alerting.silences.create(
          input.value,
          alerting.newId(),
          c.get("session").sub,
          now,
        );
        log(c).info("silence created", { silence: s.id, by: s.createdBy, via: "dashboard" });
        return c.redirect("/alerts?done=silenced", 303);
      }
      error = input.error;
    }
    const snap = await deps.feed.snapshot();
    return htmlPage(
      c,
      <SilenceFormPage
        chrome={chrome(c, deps, { alerts: snap.alerts })}
        values={values}
        error={error}
      />,
      400,
    );
  });

  app.post("/alerts/silences/:id/expire", page, requireCsrf(deps), async (c) => {
    const denied = adminOnly(c);
    if (denied) return denied;
    if (!deps.alerting) return c.redirect("/alerts", 303);
    const id = c.req.param("id");
    const result = await deps.alerting.silences.expire(id, deps.now());
    log(c).info("silence expired", {
      silence: id,
      by: c.get("session").sub,
      result,
      via: "dashboard",
    });
    const done = result === "expired-now"
      ? "expired"
      : result === "expired"
      ? "already-expired"
      : "missing";
    return c.redirect(`/alerts?done=${done}`, 303);
  });
  return app;
}

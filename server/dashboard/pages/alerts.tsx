/**
 * `/alerts`: firing and pending instances (live, `alerts.js`), the rules with their state,
 * silences (expire one), recent transitions and notification deliveries; and the form that
 * creates a silence from an alert. Forms post with the session's CSRF token and work
 * without scripts.
 */
import type { Child, FC } from "hono/jsx";
import type { rulesView } from "../../alerts/alerting_api.ts";
import type { TransitionRow } from "../../alerts/alert_queries.ts";
import type { NotificationRecord } from "../../notify/outbox_store.ts";
import { CSRF_FIELD } from "../csrf.ts";
import type { AlertBrief } from "../live_feed.ts";
import { formatUtc } from "../static/js/format.js";
import { type Chrome, Layout } from "./layout.tsx";
import { hostHref } from "./overview.tsx";
import { DataTable, EmptyNote } from "./table.tsx";

/** After a built-in rule's name (a variable, so formatter and linter agree on the space). */
const BUILT_IN_NOTE = " (built in)";

/** The rules listing as `rulesView` builds it. */
export type RulesView = Awaited<ReturnType<typeof rulesView>>;

/** A silence as the page lists it. */
export interface SilenceView {
  id: string;
  matchers: { name: string; value: string; isRegex: boolean; isEqual: boolean }[];
  startsAt: number;
  endsAt: number;
  comment: string;
  createdBy: string;
  status: "pending" | "active" | "expired";
}

/** Props of the alerts page. */
export interface AlertsPageProps {
  chrome: Chrome;
  available: boolean;
  active: AlertBrief[];
  rules: RulesView | null;
  silences: SilenceView[];
  transitions: TransitionRow[];
  notifications: NotificationRecord[];
  canWrite: boolean;
  flash: string | null;
}

const when = (iso: string | null) => iso === null ? "—" : formatUtc(Date.parse(iso));

/** A measured value to six significant digits, or a dash. */
const valueText = (v: number | null) => v === null ? "—" : String(Number(v.toPrecision(6)));

/** An alert's or a silence's state, coloured. */
const State: FC<{ state: string }> = ({ state }) => (
  <span class={`state state-${state}`}>{state}</span>
);

/** A severity, coloured. */
const Severity: FC<{ severity: string }> = ({ severity }) => (
  <span class={`sev sev-${severity}`}>{severity}</span>
);

/** A titled section of the page; its heading's id is `{name}-title`. */
const Section: FC<{ name: string; title: string; children?: Child }> = (p) => (
  <section aria-labelledby={`${p.name}-title`}>
    <h2 id={`${p.name}-title`}>{p.title}</h2>
    {p.children}
  </section>
);

/** The query string of the silence form for an alert. */
export function silenceFormHref(a: Pick<AlertBrief, "rule" | "host">): string {
  return `/alerts/silence?${new URLSearchParams({ rule: a.rule, host: a.host })}`;
}

/** One active alert; `alerts.js` builds the same structure. */
export const ActiveRow: FC<{ a: AlertBrief; canWrite: boolean }> = ({ a, canWrite }) => (
  <tr data-fingerprint={a.fingerprint} class={`alert-${a.state}`}>
    <td data-label="State">
      <State state={a.state} />
      {a.silenced ? <State state="silenced" /> : null}
    </td>
    <td data-label="Severity">
      <Severity severity={a.severity} />
    </td>
    <td data-label="Rule">{a.rule}</td>
    <td data-label="Host">
      <a href={hostHref(a.host)}>{a.host}</a>
    </td>
    <td data-label="Value" class="num">{valueText(a.value)}</td>
    <td data-label="Since">{when(a.since)}</td>
    <td data-label="Summary">{a.summary}</td>
    <td data-label="">
      {canWrite ? <a class="button small" href={silenceFormHref(a)}>Silence…</a> : null}
    </td>
  </tr>
);

const Matcher: FC<{ text: string }> = ({ text }) => <code class="matcher">{text}</code>;

function labelText(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return parts.length === 0 ? "" : `{${parts.join(", ")}}`;
}

function matcherText(m: SilenceView["matchers"][number]): string {
  return `${m.name}${m.isEqual ? "" : "!"}${m.isRegex ? "=~" : "="}${JSON.stringify(m.value)}`;
}

/** The alerts page. */
export const AlertsPage: FC<AlertsPageProps> = (p) => {
  if (!p.available) {
    return (
      <Layout chrome={p.chrome} title="Alerts" nav="alerts" events="/dashboard/events">
        <h1>Alerts</h1>
        <p class="notice">Alerting is not configured on this server.</p>
      </Layout>
    );
  }
  const csrf = p.chrome.csrf ?? "";
  return (
    <Layout
      chrome={p.chrome}
      title="Alerts"
      nav="alerts"
      scripts={["js/alerts.js"]}
      events="/dashboard/events"
    >
      <div id="alerts-page" data-can-write={p.canWrite ? "1" : "0"}>
        <h1>Alerts</h1>
        {p.flash ? <p class="flash" role="status">{p.flash}</p> : null}
        {!p.canWrite
          ? <p class="muted">Signed in with a read token: silences can be seen but not changed.</p>
          : null}

        <Section name="active" title="Firing and pending">
          <DataTable
            id="active-alerts"
            class="alerts"
            columns={["State", "Severity", "Rule", "Host", "Value", "Since", "Summary"]}
            actions
          >
            {p.active.map((a) => <ActiveRow key={a.fingerprint} a={a} canWrite={p.canWrite} />)}
          </DataTable>
          <EmptyNote id="active-empty" hidden={p.active.length > 0}>
            Nothing is firing or pending.
          </EmptyNote>
        </Section>

        <Section name="silences" title="Silences">
          {p.silences.length === 0 ? <p class="empty">No silences.</p> : (
            <DataTable
              id="silences"
              class="alerts"
              columns={["Status", "Matchers", "Ends", "Comment", "By"]}
              actions
            >
              {p.silences.map((s) => (
                <tr data-silence={s.id} class={`silence-${s.status}`}>
                  <td data-label="Status">
                    <State state={s.status} />
                  </td>
                  <td data-label="Matchers">
                    {s.matchers.map((m) => <Matcher key={m.name} text={matcherText(m)} />)}
                  </td>
                  <td data-label="Ends">{formatUtc(s.endsAt)}</td>
                  <td data-label="Comment">{s.comment}</td>
                  <td data-label="By">{s.createdBy}</td>
                  <td data-label="">
                    {p.canWrite && s.status !== "expired"
                      ? (
                        <form
                          method="post"
                          action={`/alerts/silences/${encodeURIComponent(s.id)}/expire`}
                          class="inline"
                        >
                          <input type="hidden" name={CSRF_FIELD} value={csrf} />
                          <button type="submit" class="small">Expire</button>
                        </form>
                      )
                      : null}
                  </td>
                </tr>
              ))}
            </DataTable>
          )}
        </Section>

        <Section name="rules" title="Rules">
          {p.rules
            ? (
              <DataTable
                id="rules"
                class="alerts"
                columns={[
                  "Rule",
                  "Condition",
                  "Severity",
                  "Health",
                  "Firing",
                  "Pending",
                  "Last evaluation",
                ]}
              >
                {p.rules.rules.map((r) => (
                  <tr data-rule={r.name}>
                    <td data-label="Rule">
                      {r.name}
                      {r.builtin ? <span class="muted">{BUILT_IN_NOTE}</span> : null}
                    </td>
                    <td data-label="Condition">
                      <code>
                        {r.builtin
                          ? `no data for ${r.threshold} s`
                          : `${r.agg}(${r.metric}${
                            labelText(r.labels)
                          }[${r.window}]) ${r.op} ${r.threshold}${
                            r.for !== "0s" ? ` for ${r.for}` : ""
                          }`}
                      </code>
                      {r.hosts !== "*" ? <span class="muted">{` on ${r.hosts}`}</span> : null}
                    </td>
                    <td data-label="Severity">
                      <Severity severity={r.severity} />
                    </td>
                    <td data-label="Health">
                      <span class={`health health-${r.health}`}>{r.health}</span>
                      {r.last_error ? <span class="sub">{r.last_error}</span> : null}
                    </td>
                    <td data-label="Firing" class="num">{r.instances.firing}</td>
                    <td data-label="Pending" class="num">{r.instances.pending}</td>
                    <td data-label="Last evaluation">{when(r.last_evaluation)}</td>
                  </tr>
                ))}
              </DataTable>
            )
            : <p class="error">The rules could not be read.</p>}
        </Section>

        <Section name="transitions" title="Recent transitions">
          {p.transitions.length === 0
            ? <p class="empty">No transitions in the last 24 hours.</p>
            : (
              <DataTable
                id="transitions"
                class="alerts"
                columns={["Time", "Rule", "Host", "Change", "Value"]}
              >
                {p.transitions.map((t) => (
                  <tr>
                    <td data-label="Time">{when(t.time)}</td>
                    <td data-label="Rule">{t.rule}</td>
                    <td data-label="Host">{t.host}</td>
                    <td data-label="Change">
                      <State state={t.from} /> → <State state={t.to} />
                      {t.reason ? <span class="sub">{t.reason}</span> : null}
                    </td>
                    <td data-label="Value" class="num">{valueText(t.value)}</td>
                  </tr>
                ))}
              </DataTable>
            )}
        </Section>

        <Section name="notifications" title="Notification deliveries">
          {p.notifications.length === 0 ? <p class="empty">No notifications sent.</p> : (
            <DataTable
              id="notifications"
              class="alerts"
              columns={[
                "Created",
                "Receiver",
                "Rule",
                "Status",
                "Delivery",
                "Attempts",
                "Last error",
              ]}
            >
              {p.notifications.map((n) => (
                <tr>
                  <td data-label="Created">{when(n.created_at)}</td>
                  <td data-label="Receiver">
                    {n.receiver} <span class="muted">({n.receiver_type})</span>
                  </td>
                  <td data-label="Rule">
                    {n.rule} <span class="muted">({n.alerts} alerts)</span>
                  </td>
                  <td data-label="Status">{n.status}</td>
                  <td data-label="Delivery">
                    <span class={`delivery delivery-${n.delivery}`}>{n.delivery}</span>
                    {n.delivered_at ? <span class="sub">{when(n.delivered_at)}</span> : null}
                  </td>
                  <td data-label="Attempts" class="num">{n.attempts}</td>
                  <td data-label="Last error">
                    {n.last_error ?? (n.last_status !== null ? `HTTP ${n.last_status}` : "")}
                  </td>
                </tr>
              ))}
            </DataTable>
          )}
        </Section>
      </div>
    </Layout>
  );
};

/** Durations the silence form offers. */
export const SILENCE_DURATIONS: readonly { value: string; label: string; ms: number }[] = [
  { value: "1h", label: "1 hour", ms: 3_600_000 },
  { value: "4h", label: "4 hours", ms: 4 * 3_600_000 },
  { value: "24h", label: "1 day", ms: 86_400_000 },
  { value: "7d", label: "1 week", ms: 7 * 86_400_000 },
];

/** The values of the silence form. */
export interface SilenceFormValues {
  rule: string;
  host: string;
  duration: string;
  comment: string;
}

/** The form creating a silence for one alert (`alertname` and `host` matchers). */
export const SilenceFormPage: FC<
  { chrome: Chrome; values: SilenceFormValues; error: string | null }
> = (
  { chrome, values, error },
) => (
  <Layout chrome={chrome} title="New silence" nav="alerts" events="/dashboard/events">
    <h1>New silence</h1>
    {error ? <p class="error" role="alert">{error}</p> : null}
    <form method="post" action="/alerts/silences" class="stack" id="silence-form">
      <input type="hidden" name={CSRF_FIELD} value={chrome.csrf ?? ""} />
      <label>
        Rule (<code>alertname</code>) <input type="text" name="rule" value={values.rule} required />
      </label>
      <label>
        Host <input type="text" name="host" value={values.host} />
        <span class="sub">empty: every host</span>
      </label>
      <label>
        For{" "}
        <select name="duration">
          {SILENCE_DURATIONS.map((d) => (
            <option value={d.value} selected={values.duration === d.value}>{d.label}</option>
          ))}
        </select>
      </label>
      <label>
        Comment{" "}
        <input type="text" name="comment" value={values.comment} required maxlength={1000} />
      </label>
      <div class="form-actions">
        <button type="submit">Create silence</button>
        <a href="/alerts">Cancel</a>
      </div>
    </form>
  </Layout>
);

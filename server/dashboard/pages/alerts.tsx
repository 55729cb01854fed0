/**
 * `/alerts`: firing and pending instances (live, `alerts.js`), the rules with their state,
 * silences (expire one), recent transitions and notification deliveries; and the form that
 * creates a silence from an alert. Forms post with the session's CSRF token and work
 * without scripts.
 */
import type { FC } from "hono/jsx";
import type { rulesView } from "../../alerts/alerting_api.ts";
import type { TransitionRow } from "../../alerts/alert_queries.ts";
import type { NotificationRecord } from "../../notify/outbox_store.ts";
import { CSRF_FIELD } from "../csrf.ts";
import type { AlertBrief } from "../live_feed.ts";
import { formatUtc } from "../static/js/format.js";
import { type Chrome, Layout } from "./layout.tsx";
import { hostHref } from "./overview.tsx";

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

/** The query string of the silence form for an alert. */
export function silenceFormHref(a: Pick<AlertBrief, "rule" | "host">): string {
  return `/alerts/silence?${new URLSearchParams({ rule: a.rule, host: a.host })}`;
}

/** One active alert; `alerts.js` builds the same structure. */
export const ActiveRow: FC<{ a: AlertBrief; canWrite: boolean }> = ({ a, canWrite }) => (
  <tr data-fingerprint={a.fingerprint} class={`alert-${a.state}`}>
    <td data-label="State">
      <span class={`state state-${a.state}`}>{a.state}</span>
      {a.silenced ? <span class="state state-silenced">silenced</span> : null}
    </td>
    <td data-label="Severity">
      <span class={`sev sev-${a.severity}`}>{a.severity}</span>
    </td>
    <td data-label="Rule">{a.rule}</td>
    <td data-label="Host">
      <a href={hostHref(a.host)}>{a.host}</a>
    </td>
    <td data-label="Value" class="num">
      {a.value === null ? "—" : String(Number(a.value.toPrecision(6)))}
    </td>
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

        <section aria-labelledby="active-title">
          <h2 id="active-title">Firing and pending</h2>
          <div class="table-wrap">
            <table id="active-alerts" class="alerts">
              <thead>
                <tr>
                  <th scope="col">State</th>
                  <th scope="col">Severity</th>
                  <th scope="col">Rule</th>
                  <th scope="col">Host</th>
                  <th scope="col">Value</th>
                  <th scope="col">Since</th>
                  <th scope="col">Summary</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {p.active.map((a) => <ActiveRow key={a.fingerprint} a={a} canWrite={p.canWrite} />)}
              </tbody>
            </table>
          </div>
          <p id="active-empty" class="empty" hidden={p.active.length > 0 ? true : undefined}>
            Nothing is firing or pending.
          </p>
        </section>

        <section aria-labelledby="silences-title">
          <h2 id="silences-title">Silences</h2>
          {p.silences.length === 0 ? <p class="empty">No silences.</p> : (
            <div class="table-wrap">
              <table id="silences" class="alerts">
                <thead>
                  <tr>
                    <th scope="col">Status</th>
                    <th scope="col">Matchers</th>
                    <th scope="col">Ends</th>
                    <th scope="col">Comment</th>
                    <th scope="col">By</th>
                    <th scope="col">
                      <span class="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {p.silences.map((s) => (
                    <tr data-silence={s.id} class={`silence-${s.status}`}>
                      <td data-label="Status">
                        <span class={`state state-${s.status}`}>{s.status}</span>
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
                </tbody>
              </table>
            </div>
          )}
        </section>

        <section aria-labelledby="rules-title">
          <h2 id="rules-title">Rules</h2>
          {p.rules
            ? (
              <div class="table-wrap">
                <table id="rules" class="alerts">
                  <thead>
                    <tr>
                      <th scope="col">Rule</th>
                      <th scope="col">Condition</th>
                      <th scope="col">Severity</th>
                      <th scope="col">Health</th>
                      <th scope="col">Firing</th>
                      <th scope="col">Pending</th>
                      <th scope="col">Last evaluation</th>
                    </tr>
                  </thead>
                  <tbody>
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
                          <span class={`sev sev-${r.severity}`}>{r.severity}</span>
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
                  </tbody>
                </table>
              </div>
            )
            : <p class="error">The rules could not be read.</p>}
        </section>

        <section aria-labelledby="transitions-title">
          <h2 id="transitions-title">Recent transitions</h2>
          {p.transitions.length === 0
            ? <p class="empty">No transitions in the last 24 hours.</p>
            : (
              <div class="table-wrap">
                <table id="transitions" class="alerts">
                  <thead>
                    <tr>
                      <th scope="col">Time</th>
                      <th scope="col">Rule</th>
                      <th scope="col">Host</th>
                      <th scope="col">Change</th>
                      <th scope="col">Value</th>
                    </tr>
                  </thead>
                  <tbody>
                    {p.transitions.map((t) => (
                      <tr>
                        <td data-label="Time">{when(t.time)}</td>
                        <td data-label="Rule">{t.rule}</td>
                        <td data-label="Host">{t.host}</td>
                        <td data-label="Change">
                          <span class={`state state-${t.from}`}>{t.from}</span> →{" "}
                          <span class={`state state-${t.to}`}>{t.to}</span>
                          {t.reason ? <span class="sub">{t.reason}</span> : null}
                        </td>
                        <td data-label="Value" class="num">
                          {t.value === null ? "—" : String(Number(t.value.toPrecision(6)))}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
        </section>

        <section aria-labelledby="notifications-title">
          <h2 id="notifications-title">Notification deliveries</h2>
          {p.notifications.length === 0
            ? <p class="empty">No notifications sent.</p>
            : (
              <div class="table-wrap">
                <table id="notifications" class="alerts">
                  <thead>
                    <tr>
                      <th scope="col">Created</th>
                      <th scope="col">Receiver</th>
                      <th scope="col">Rule</th>
                      <th scope="col">Status</th>
                      <th scope="col">Delivery</th>
                      <th scope="col">Attempts</th>
                      <th scope="col">Last error</th>
                    </tr>
                  </thead>
                  <tbody>
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
                  </tbody>
                </table>
              </div>
            )}
        </section>
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

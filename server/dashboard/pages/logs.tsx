/**
 * `/logs`: search (substring), host, minimum level, source and time filters, all in the URL
 * so a search can be shared; entries newest first with "load older" by cursor; a live-tail
 * switch (`logs.js`). Rendered on the server from `GET /api/v1/logs/query`.
 */
import type { FC } from "hono/jsx";
import { formatUtc } from "../static/js/format.js";
import { type Chrome, Layout } from "./layout.tsx";
import { hostHref } from "./overview.tsx";
import { DataTable, EmptyNote } from "./table.tsx";

/** After a cut message (a variable, so formatter and linter agree on the space). */
const TRUNCATED_NOTE = " (truncated)";

/** An entry as the log API answers it. */
export interface LogEntryView {
  id: number;
  time: string;
  host: string;
  source: string;
  level: string;
  message: string;
  truncated?: boolean;
}

/** The filters, as typed into the form (and kept in the URL). */
export interface LogFilters {
  q: string;
  host: string;
  level: string;
  source: string;
  from: string;
  to: string;
}

/** Props of the logs page. */
export interface LogsPageProps {
  chrome: Chrome;
  filters: LogFilters;
  /** Query string of the filters as typed (no cursor), for links. */
  filterQuery: string;
  /** Query string of the filters as the log API takes them (ISO times), for `logs.js`. */
  apiQuery: string;
  entries: LogEntryView[];
  nextCursor: string | null;
  /** True when this page continues an earlier one (a cursor was given). */
  continued: boolean;
  live: boolean;
  hosts: string[];
  /** A message when the search was refused (bad filter) or failed. */
  error: string | null;
  /** False when this server has no log API. */
  available: boolean;
}

/** Levels of the minimum-level filter, lowest first. */
export const LEVEL_CHOICES = ["debug", "info", "warn", "error", "fatal"] as const;

/** An `<option>` (a component, so a list's `key` is not rendered as an attribute). */
const Choice: FC<{ value: string; selected?: boolean; label?: string }> = (p) => (
  <option value={p.value} selected={p.selected}>{p.label ?? ""}</option>
);

/** One entry row; `logs.js` builds the same for loaded and live entries. */
export const LogRow: FC<{ e: LogEntryView }> = ({ e }) => (
  <tr data-id={String(e.id)} class={`log-row log-level-${e.level}`}>
    <td data-label="Time" class="log-time">
      <time datetime={e.time}>{formatUtc(Date.parse(e.time))}</time>
    </td>
    <td data-label="Host" class="log-host">
      <a href={hostHref(e.host)}>{e.host}</a>
    </td>
    <td data-label="Level">
      <span class={`level level-${e.level}`}>{e.level}</span>
    </td>
    <td data-label="Source" class="log-source">{e.source}</td>
    <td data-label="Message" class="log-message">
      {e.message}
      {e.truncated ? <span class="muted">{TRUNCATED_NOTE}</span> : null}
    </td>
  </tr>
);

/** The logs page. */
export const LogsPage: FC<LogsPageProps> = (p) => {
  const f = p.filters;
  const olderHref = p.nextCursor
    ? `/logs?${p.filterQuery}${p.filterQuery ? "&" : ""}cursor=${encodeURIComponent(p.nextCursor)}`
    : null;
  return (
    <Layout
      chrome={p.chrome}
      title="Logs"
      nav="logs"
      scripts={["js/logs.js"]}
      events="/dashboard/events"
    >
      <div
        id="logs-page"
        data-filters={p.filterQuery}
        data-api-query={p.apiQuery}
        data-live={p.live ? "1" : "0"}
        data-available={p.available ? "1" : "0"}
      >
        <div class="page-head">
          <h1>Logs</h1>
        </div>
        {!p.available
          ? <p class="notice">This server has no log API: log search is not available.</p>
          : null}
        <form method="get" action="/logs" role="search" class="filters logs-filters" id="logs-form">
          <label class="grow">
            Search <input type="search" name="q" value={f.q} placeholder="text in the message" />
          </label>
          <label>
            Host{" "}
            <input type="text" name="host" value={f.host} list="known-hosts" autocomplete="off" />
          </label>
          <datalist id="known-hosts">
            {p.hosts.map((h) => <Choice key={h} value={h} />)}
          </datalist>
          <label>
            Level at least{" "}
            <select name="level">
              <option value="" selected={f.level === ""}>any</option>
              {LEVEL_CHOICES.map((l) => (
                <Choice key={l} value={l} selected={f.level === l} label={l} />
              ))}
            </select>
          </label>
          <label>
            Source <input type="text" name="source" value={f.source} />
          </label>
          <label>
            From (UTC) <input type="datetime-local" name="from" value={f.from} step={1} />
          </label>
          <label>
            To (UTC) <input type="datetime-local" name="to" value={f.to} step={1} />
          </label>
          <div class="form-actions">
            <button type="submit">Search</button>
            <a href="/logs">Clear</a>
            <button type="button" id="live-tail" aria-pressed={p.live ? "true" : "false"} hidden>
              Live tail
            </button>
          </div>
        </form>
        {p.error ? <p class="error" role="alert" id="logs-error">{p.error}</p> : null}
        <p id="tail-status" class="muted" role="status" aria-live="polite"></p>
        <DataTable
          id="logs-table"
          class="logs"
          columns={["Time", "Host", "Level", "Source", "Message"]}
        >
          {p.entries.map((e) => <LogRow key={e.id} e={e} />)}
        </DataTable>
        <EmptyNote id="logs-empty" hidden={p.entries.length > 0}>
          {p.continued ? "No older entries." : "No entries match."}
        </EmptyNote>
        <p class="pager">
          {olderHref
            ? <a id="load-older" href={olderHref} data-cursor={p.nextCursor ?? ""}>Load older</a>
            : (
              <span id="no-older" class="muted">
                {p.entries.length > 0 ? "No older entries." : ""}
              </span>
            )}
          {p.continued ? <a href={`/logs?${p.filterQuery}`}>Back to newest</a> : null}
        </p>
      </div>
    </Layout>
  );
};

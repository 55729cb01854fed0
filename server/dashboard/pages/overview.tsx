/**
 * `/`: every host with its status, last seen, current CPU, memory, fullest disk, network
 * in/out and a sparkline of the last hour, sortable and filterable by name. Rendered complete
 * on the server (it works without scripts); `overview.js` keeps it live.
 */
import type { FC } from "hono/jsx";
import type { HostSummary } from "../fleet_summary.ts";
import type { SparkSet } from "../live_feed.ts";
import { formatBytes, formatPercent, formatRate } from "../static/js/format.js";
import { hostMatches } from "../static/js/sort.js";
import { Ago, Sparkline, StatusBadge } from "./parts.tsx";
import { type Chrome, Layout } from "./layout.tsx";
import { DataTable, EmptyNote } from "./table.tsx";

/** Props of the overview. */
export interface OverviewProps {
  chrome: Chrome;
  hosts: HostSummary[];
  sparks: SparkSet | null;
  sparkWindowMs: number;
  filter: string;
  sort: { key: string; desc: boolean };
  /** Set when the data could not be read fresh. */
  error: string | null;
}

const COLUMNS: { key: string; label: string }[] = [
  { key: "host", label: "Host" },
  { key: "status", label: "Status" },
  { key: "last_seen", label: "Last seen" },
  { key: "cpu", label: "CPU" },
  { key: "mem", label: "Memory" },
  { key: "disk", label: "Fullest disk" },
  { key: "net_in", label: "Net in" },
  { key: "net_out", label: "Net out" },
];

function sortHref(key: string, current: { key: string; desc: boolean }, filter: string): string {
  const defaultDesc = !["host", "status"].includes(key);
  const desc = current.key === key ? !current.desc : defaultDesc;
  const q = new URLSearchParams();
  if (filter) q.set("q", filter);
  q.set("sort", key);
  q.set("dir", desc ? "desc" : "asc");
  return `/?${q}`;
}

/** The path of a host's page. */
export function hostHref(host: string): string {
  return `/hosts/${encodeURIComponent(host)}`;
}

/** One row; `overview.js` builds the same structure for hosts that appear later. */
export const HostRow: FC<
  { h: HostSummary; now: number; sparks: SparkSet | null; windowMs: number; hidden: boolean }
> = (
  { h, now, sparks, windowMs, hidden },
) => (
  <tr data-host={h.host} data-status={h.status} hidden={hidden ? true : undefined}>
    <th scope="row" data-label="Host">
      <a href={hostHref(h.host)}>{h.host}</a>
    </th>
    <td data-label="Status" data-col="status">
      <StatusBadge status={h.status} />
    </td>
    <td data-label="Last seen" data-col="last_seen">
      <Ago ms={h.last_seen} now={now} />
    </td>
    <td data-label="CPU" data-col="cpu" class="num">{formatPercent(h.cpu_pct)}</td>
    <td data-label="Memory" data-col="mem" class="num">
      {formatPercent(h.mem_pct)}
      {h.mem_used_bytes !== null && h.mem_total_bytes !== null
        ? (
          <span class="sub">
            {formatBytes(h.mem_used_bytes)} / {formatBytes(h.mem_total_bytes)}
          </span>
        )
        : null}
    </td>
    <td data-label="Fullest disk" data-col="disk" class="num">
      {formatPercent(h.disk_pct)}
      {h.disk_mount !== null ? <span class="sub">{h.disk_mount}</span> : null}
    </td>
    <td data-label="Net in" data-col="net_in" class="num">{formatRate(h.net_in)}</td>
    <td data-label="Net out" data-col="net_out" class="num">{formatRate(h.net_out)}</td>
    <td data-label="CPU, last hour" data-col="spark">
      <Sparkline
        points={sparks?.byHost.get(h.host)}
        fromMs={sparks?.fromMs ?? now - windowMs}
        windowMs={windowMs}
      />
    </td>
  </tr>
);

/** Counts per status, as the summary line shows them. */
export function statusCounts(hosts: readonly HostSummary[]): Record<string, number> {
  const c: Record<string, number> = { up: 0, stale: 0, down: 0 };
  for (const h of hosts) c[h.status] = (c[h.status] ?? 0) + 1;
  return c;
}

/** The overview page. */
export const OverviewPage: FC<OverviewProps> = (p) => {
  const now = p.chrome.serverNow;
  const counts = statusCounts(p.hosts);
  const matching = p.hosts.filter((h) => hostMatches(h.host, p.filter)).length;
  return (
    <Layout
      chrome={p.chrome}
      title="Overview"
      nav="overview"
      scripts={["js/overview.js"]}
      events="/dashboard/events?fleet=1"
    >
      <div class="page-head">
        <h1>Hosts</h1>
        <p id="fleet-counts" class="counts" aria-live="polite">
          total <span data-count="total">{p.hosts.length}</span>:{" "}
          <span class="status-up-text">
            <span data-count="up">{counts.up}</span> up
          </span>,{" "}
          <span class="status-stale-text">
            <span data-count="stale">{counts.stale}</span> stale
          </span>,{" "}
          <span class="status-down-text">
            <span data-count="down">{counts.down}</span> down
          </span>
        </p>
      </div>
      {p.error ? <p class="error" role="alert">{p.error}</p> : null}
      <form method="get" action="/" role="search" class="filters" id="host-filter-form">
        <label>
          Filter by name{" "}
          <input
            type="search"
            name="q"
            id="host-filter"
            value={p.filter}
            autocomplete="off"
            spellcheck={false}
          />
        </label>
        <input type="hidden" name="sort" value={p.sort.key} />
        <input type="hidden" name="dir" value={p.sort.desc ? "desc" : "asc"} />
        <button type="submit">Filter</button>
      </form>
      <DataTable
        id="hosts-table"
        class="hosts"
        columns={[
          ...COLUMNS.map((col) => (
            <th
              scope="col"
              data-sort={col.key}
              aria-sort={p.sort.key === col.key
                ? (p.sort.desc ? "descending" : "ascending")
                : undefined}
            >
              <a href={sortHref(col.key, p.sort, p.filter)}>{col.label}</a>
            </th>
          )),
          "CPU, last hour",
        ]}
      >
        {p.hosts.map((h) => (
          <HostRow
            h={h}
            now={now}
            sparks={p.sparks}
            windowMs={p.sparkWindowMs}
            hidden={!hostMatches(h.host, p.filter)}
          />
        ))}
      </DataTable>
      <EmptyNote id="hosts-empty" hidden={p.hosts.length > 0}>
        No hosts have reported yet. Start an agent with <code>SERVER_URL</code>{" "}
        pointing here and the server's{" "}
        <code>AGENT_TOKEN</code>; it appears within one collection interval.
      </EmptyNote>
      <p
        id="hosts-none-match"
        class="empty"
        hidden={p.hosts.length === 0 || matching > 0 ? true : undefined}
      >
        No host name contains that text.
      </p>
    </Layout>
  );
};

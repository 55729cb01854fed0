/**
 * `/hosts/{host}`: the host's status and current figures (rendered on the server), a range
 * picker (presets and a custom range), and the chart frames that `host.js` fills with uPlot:
 * CPU (total, per core on demand), memory, disk usage per mount, disk I/O, network per
 * interface, load.
 */
import type { FC } from "hono/jsx";
import type { LatestValue } from "../../storage/metric_store.ts";
import type { HostSummary } from "../fleet_summary.ts";
import { formatBytes, formatLoad, formatPercent, formatRate } from "../static/js/format.js";
import { RANGE_PRESETS, type TimeRange, toDatetimeLocalUtc } from "../static/js/range.js";
import { type Chrome, Layout } from "./layout.tsx";
import { Ago, StatusBadge } from "./parts.tsx";

/** Props of the host page. */
export interface HostPageProps {
  chrome: Chrome;
  host: string;
  summary: HostSummary;
  latest: LatestValue[];
  range: TimeRange;
  /** A message when the URL's range was invalid (the default range is shown instead). */
  rangeError: string | null;
}

/** The newest value of the series named `name` whose labels include `labels`. */
function valueOf(latest: LatestValue[], name: string, labels: Record<string, string> = {}) {
  return latest.find((v) =>
    v.name === name && Object.entries(labels).every(([k, x]) => v.labels[k] === x)
  )?.value ?? null;
}

/** Distinct values of label `key` among series named `name`, sorted. */
function labelValues(latest: LatestValue[], name: string, key: string): string[] {
  return [...new Set(latest.filter((v) => v.name === name).map((v) => v.labels[key] ?? ""))]
    .sort();
}

const Figure: FC<{ label: string; value: string; id?: string }> = ({ label, value, id }) => (
  <div class="figure">
    <dt>{label}</dt>
    <dd id={id}>{value}</dd>
  </div>
);

const ChartFrame: FC<{ id: string; title: string; unit: string; children?: unknown }> = (
  { id, title, unit, children },
) => (
  <section
    class="chart"
    id={`chart-${id}`}
    data-chart={id}
    data-unit={unit}
    aria-labelledby={`chart-${id}-title`}
  >
    <div class="chart-head">
      <h2 id={`chart-${id}-title`}>{title}</h2>
      {children}
    </div>
    <div class="plot" tabindex={0} aria-label={`${title} chart; arrow keys move the cursor`}></div>
    <p class="chart-status muted">Loading…</p>
  </section>
);

/** The host page. */
export const HostPage: FC<HostPageProps> = (p) => {
  const { latest, summary, range } = p;
  const ifaces = labelValues(latest, "net.bytes_in", "iface");
  const mounts = labelValues(latest, "disk.used_pct", "mount");
  const presetHref = (name: string) => `?range=${encodeURIComponent(name)}`;
  return (
    <Layout
      chrome={p.chrome}
      title={p.host}
      nav="host"
      classicScripts={["vendor/uPlot.iife.min.js"]}
      styles={["vendor/uPlot.min.css"]}
      scripts={["js/host.js"]}
      events={`/dashboard/events?host=${encodeURIComponent(p.host)}`}
    >
      <div
        id="host-page"
        data-host={p.host}
        data-preset={range.preset ?? ""}
        data-from={String(range.fromMs)}
        data-to={String(range.toMs)}
        data-live={range.live ? "1" : "0"}
      >
        <div class="page-head">
          <h1>
            <a href="/" class="up-link" aria-label="Back to all hosts">Hosts</a> /{" "}
            <span id="host-name">{p.host}</span>
          </h1>
          <p class="host-meta">
            <span id="host-status">
              <StatusBadge status={summary.status} />
            </span>{" "}
            last seen{" "}
            <span id="host-last-seen">
              <Ago ms={summary.last_seen} now={p.chrome.serverNow} />
            </span>
            {summary.agent_version
              ? <span class="muted">· agent {summary.agent_version}</span>
              : null}
          </p>
        </div>
        <dl class="figures" id="host-figures">
          <Figure
            label="CPU"
            id="fig-cpu"
            value={formatPercent(valueOf(latest, "cpu.usage_pct", { core: "total" }))}
          />
          <Figure
            label="Memory"
            id="fig-mem"
            value={`${formatPercent(valueOf(latest, "mem.used_pct"))} · ${
              formatBytes(valueOf(latest, "mem.used_bytes"))
            } of ${formatBytes(valueOf(latest, "mem.total_bytes"))}`}
          />
          {mounts.map((m) => (
            <Figure
              label={`Disk ${m}`}
              value={formatPercent(valueOf(latest, "disk.used_pct", { mount: m }))}
            />
          ))}
          {ifaces.map((i) => (
            <Figure
              label={`Net ${i}`}
              value={`in ${formatRate(valueOf(latest, "net.bytes_in", { iface: i }))} · out ${
                formatRate(valueOf(latest, "net.bytes_out", { iface: i }))
              }`}
            />
          ))}
          <Figure
            label="Load"
            id="fig-load"
            value={`${formatLoad(valueOf(latest, "system.load1"))} ${
              formatLoad(valueOf(latest, "system.load5"))
            } ${formatLoad(valueOf(latest, "system.load15"))}`}
          />
        </dl>

        <nav class="range-picker" aria-label="Time range">
          <ul>
            {Object.keys(RANGE_PRESETS).map((name) => (
              <li>
                <a
                  href={presetHref(name)}
                  aria-current={range.preset === name ? "true" : undefined}
                >
                  {name}
                </a>
              </li>
            ))}
          </ul>
          <form method="get" class="custom-range" id="custom-range">
            <label>
              From{" "}
              <input
                type="datetime-local"
                name="from"
                value={toDatetimeLocalUtc(range.fromMs)}
                required
              />
            </label>
            <label>
              To{" "}
              <input
                type="datetime-local"
                name="to"
                value={toDatetimeLocalUtc(range.toMs)}
                required
              />
            </label>
            <span class="muted" id="custom-range-tz">UTC</span>
            <button type="submit" aria-current={range.preset === null ? "true" : undefined}>
              Custom range
            </button>
          </form>
        </nav>
        {p.rangeError ? <p class="error" role="alert">{p.rangeError}</p> : null}
        <noscript>
          <p class="notice">The charts need JavaScript; the figures above are current.</p>
        </noscript>

        <div class="charts">
          <ChartFrame id="cpu" title="CPU" unit="percent">
            <label class="toggle">
              <input type="checkbox" id="per-core" /> per core
            </label>
          </ChartFrame>
          <ChartFrame id="mem" title="Memory" unit="bytes" />
          <ChartFrame id="disk" title="Disk usage" unit="percent" />
          <ChartFrame id="diskio" title="Disk I/O" unit="rate" />
          <div id="net-charts" class="charts-group" data-ifaces={ifaces.join("\n")}>
            {ifaces.map((i) => (
              <ChartFrame key={i} id={`net-${i}`} title={`Network ${i}`} unit="rate" />
            ))}
          </div>
          <ChartFrame id="load" title="Load" unit="load" />
        </div>
      </div>
    </Layout>
  );
};

/** The page for a host nobody has heard of. */
export const UnknownHostPage: FC<{ chrome: Chrome; host: string }> = ({ chrome, host }) => (
  <Layout chrome={chrome} title="Unknown host" nav="host" events="/dashboard/events">
    <h1>Unknown host</h1>
    <p>
      No host named <code>{host}</code> has reported to this server (or it was retired).{" "}
      <a href="/">All hosts</a>
    </p>
  </Layout>
);

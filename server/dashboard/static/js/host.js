/**
 * The host page's charts: one request loads every series of the range
 * (`/dashboard/api/hosts/{host}/series`); for a preset range, each `hosts` event that says
 * the host sent new data fetches the buckets from the newest one on and merges them, so the
 * newest point arrives live and the window slides. CPU per core is loaded on demand.
 */
import { byId, el, setText } from "./dom.js";
import { formatBytes, formatPercent, formatUtc } from "./format.js";
import { getJson, refreshAgo, serverNow, startLive } from "./live.js";
import { alignSeries, Chart } from "./chart.js";

const page = byId("host-page");
const host = page.dataset.host ?? "";
const live = page.dataset.live === "1";
const rangeMs = Number(page.dataset.to) - Number(page.dataset.from);
const fixedFrom = Number(page.dataset.from);
const fixedTo = Number(page.dataset.to);
const perCoreBox = /** @type {HTMLInputElement} */ (byId("per-core"));

/** Every series loaded, by `name|labels`: points `[ms, value]` oldest first. */
/** @type {Map<string, { name: string, labels: Record<string, string>, points: [number, number][] }>} */
const series = new Map();
/** @type {string | null} */
let bucket = null;
let perCore = false;
let loading = false;
let lastValuesAt = 0;
/** The window the charts show (epoch ms): the range, sliding with the clock when live. */
let shownFrom = fixedFrom;
let shownTo = fixedTo;

/**
 * @param {string} name
 * @param {Record<string, string>} labels
 */
const keyOf = (name, labels) =>
  `${name}|${JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]))}`;

/** @param {number} ms */
const iso = (ms) => new Date(ms).toISOString();

/**
 * @typedef {object} ChartDef
 * @property {string} id
 * @property {string} title
 * @property {string} unit
 * @property {(s: { name: string, labels: Record<string, string> }) => { label: string, colour?: number, dashed?: boolean, order: string } | null} pick
 */

/** @type {ChartDef[]} */
const FIXED = [
  {
    id: "cpu",
    title: "CPU",
    unit: "percent",
    pick: (s) =>
      s.name !== "cpu.usage_pct"
        ? null
        : s.labels.core === "total"
        ? { label: "total", colour: 0, order: "0" }
        : {
          label: `core ${s.labels.core}`,
          colour: 1 + Number(s.labels.core),
          order: `1${String(s.labels.core).padStart(5, "0")}`,
        },
  },
  {
    id: "mem",
    title: "Memory",
    unit: "bytes",
    pick: (s) =>
      s.name === "mem.used_bytes"
        ? { label: "used", colour: 0, order: "0" }
        : s.name === "mem.total_bytes"
        ? { label: "total", colour: 7, dashed: true, order: "1" }
        : null,
  },
  {
    id: "disk",
    title: "Disk usage",
    unit: "percent",
    pick: (s) =>
      s.name === "disk.used_pct"
        ? { label: s.labels.mount ?? "?", order: s.labels.mount ?? "" }
        : null,
  },
  {
    id: "diskio",
    title: "Disk I/O",
    unit: "rate",
    pick: (s) =>
      s.name === "disk.read_bytes"
        ? { label: `${s.labels.device} read`, order: `${s.labels.device}0` }
        : s.name === "disk.write_bytes"
        ? { label: `${s.labels.device} write`, dashed: true, order: `${s.labels.device}1` }
        : null,
  },
  {
    id: "load",
    title: "Load",
    unit: "load",
    pick: (s) =>
      s.name.startsWith("system.load")
        ? {
          label: s.name.slice("system.".length),
          colour: ["1", "5", "15"].indexOf(s.name.slice(11)),
          order: s.name.slice(11).padStart(2, "0"),
        }
        : null,
  },
];

/** @param {string} iface @returns {ChartDef} */
const netChart = (iface) => ({
  id: `net-${iface}`,
  title: `Network ${iface}`,
  unit: "rate",
  pick: (s) =>
    s.labels.iface !== iface
      ? null
      : s.name === "net.bytes_in"
      ? { label: "in", colour: 0, order: "0" }
      : s.name === "net.bytes_out"
      ? { label: "out", colour: 1, order: "1" }
      : null,
});

/** Charts drawn so far, by id. */
/** @type {Map<string, { chart: Chart, section: HTMLElement, keys: string }>} */
const charts = new Map();

/** The section of a chart, made for a network interface that appeared later. @param {ChartDef} def */
function sectionFor(def) {
  const existing = document.getElementById(`chart-${def.id}`);
  if (existing) return existing;
  const section = el(
    "section",
    {
      class: "chart",
      id: `chart-${def.id}`,
      "data-chart": def.id,
      "data-unit": def.unit,
      "aria-label": def.title,
    },
    el("div", { class: "chart-head" }, el("h2", {}, def.title)),
    el("div", {
      class: "plot",
      tabindex: 0,
      "aria-label": `${def.title} chart; arrow keys move the cursor`,
    }),
    el("p", { class: "chart-status muted" }, "Loading…"),
  );
  byId("net-charts").appendChild(section);
  return section;
}

/** @param {ChartDef} def */
function draw(def) {
  const picked = [];
  for (const s of series.values()) {
    const p = def.pick(s);
    if (p) picked.push({ ...p, points: s.points });
  }
  picked.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
  const section = sectionFor(def);
  const status = section.querySelector(".chart-status");
  const plot = /** @type {HTMLElement} */ (section.querySelector(".plot"));
  const data = alignSeries(picked.map((p) => p.points));
  const keys = picked.map((p) => `${p.label}/${p.colour}/${p.dashed}`).join(",");
  let entry = charts.get(def.id);
  if (!entry) {
    const chart = new Chart(plot, {
      unit: def.unit,
      series: picked,
      xRange: () => [shownFrom, shownTo],
    });
    entry = { chart, section, keys };
    charts.set(def.id, entry);
    chart.setData(data);
  } else if (entry.keys !== keys) {
    entry.keys = keys;
    entry.chart.respec(picked, data);
  } else {
    entry.chart.setData(data);
  }
  const xs = data[0];
  section.dataset.points = String(xs.length);
  if (xs.length > 0) {
    const last = data[1][xs.length - 1];
    section.dataset.lastTime = String(xs[xs.length - 1] * 1000);
    section.dataset.lastValue = last === null ? "" : String(last);
  }
  setText(
    status,
    picked.length === 0 ? "No data in this range." : bucket ? `one point per ${bucket}` : "",
  );
}

function drawAll() {
  for (const def of FIXED) draw(def);
  const ifaces = new Set();
  for (const s of series.values()) {
    if (s.name.startsWith("net.") && s.labels.iface) ifaces.add(s.labels.iface);
  }
  for (const iface of [...ifaces].sort()) draw(netChart(iface));
}

/** The range to ask for now. */
function currentRange() {
  if (!live) return { from: fixedFrom, to: fixedTo };
  const to = serverNow();
  return { from: to - rangeMs, to };
}

/** Loads the whole range. */
async function loadAll() {
  loading = true;
  try {
    const { from, to } = currentRange();
    shownFrom = from;
    shownTo = to;
    const r = await getJson(
      `/dashboard/api/hosts/${encodeURIComponent(host)}/series?from=${iso(from)}&to=${iso(to)}${
        perCore ? "&cores=1" : ""
      }`,
    );
    bucket = r.bucket;
    series.clear();
    for (const s of r.series) series.set(keyOf(s.name, s.labels), s);
    drawAll();
  } catch (e) {
    for (const sec of document.querySelectorAll(".chart-status")) {
      setText(sec, `Could not load: ${/** @type {Error} */ (e).message}`);
    }
  } finally {
    loading = false;
  }
}

/** Fetches from the newest bucket on and merges; the oldest points leave the window. */
async function loadTail() {
  if (!live || loading || bucket === null) return;
  loading = true;
  try {
    const now = serverNow();
    let newest = 0;
    for (const s of series.values()) {
      const last = s.points[s.points.length - 1];
      if (last && last[0] > newest) newest = last[0];
    }
    const from = Math.max(newest, now - rangeMs);
    if (from >= now) return;
    const r = await getJson(
      `/dashboard/api/hosts/${encodeURIComponent(host)}/series?from=${iso(from)}&to=${
        iso(now)
      }&bucket=${bucket}${perCore ? "&cores=1" : ""}`,
    );
    const cutoff = now - rangeMs;
    shownFrom = cutoff;
    shownTo = now;
    for (const s of r.series) {
      const key = keyOf(s.name, s.labels);
      const old = series.get(key);
      const kept = (old?.points ?? []).filter(([t]) => t < from && t >= cutoff);
      series.set(key, { name: s.name, labels: s.labels, points: [...kept, ...s.points] });
    }
    for (const s of series.values()) {
      if (s.points.length > 0 && s.points[0][0] < cutoff) {
        s.points = s.points.filter(([t]) => t >= cutoff);
      }
    }
    drawAll();
  } catch {
    // getJson already retried; the next event tries again
  } finally {
    loading = false;
  }
}

perCoreBox.addEventListener("change", () => {
  perCore = perCoreBox.checked;
  loadAll();
});

// The custom range in the reader's own time zone (the page, without script, says UTC).
const form = /** @type {HTMLFormElement} */ (byId("custom-range"));
const fromInput = /** @type {HTMLInputElement} */ (form.elements.namedItem("from"));
const toInput = /** @type {HTMLInputElement} */ (form.elements.namedItem("to"));
/** @param {number} ms */
const localValue = (ms) => {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
};
fromInput.value = localValue(currentRange().from);
toInput.value = localValue(currentRange().to);
setText(byId("custom-range-tz"), "local time");
form.addEventListener("submit", (ev) => {
  ev.preventDefault();
  const from = new Date(fromInput.value).getTime();
  const to = new Date(toInput.value).getTime();
  if (!Number.isFinite(from) || !Number.isFinite(to)) return;
  location.search = `?from=${encodeURIComponent(iso(from))}&to=${encodeURIComponent(iso(to))}`;
});

/** @param {any} h */
function updateHeader(h) {
  const status = byId("host-status");
  const badge = status.querySelector(".status");
  if (badge?.getAttribute("data-status") !== h.status) {
    status.textContent = "";
    status.appendChild(
      el(
        "span",
        { class: `status status-${h.status}`, "data-status": h.status },
        el("span", { class: "dot", "aria-hidden": "true" }),
        h.status,
      ),
    );
  }
  const time = byId("host-last-seen").querySelector("time");
  if (time) {
    time.dataset.ago = String(h.last_seen);
    time.title = formatUtc(h.last_seen);
  }
  setText(document.getElementById("fig-cpu"), formatPercent(h.cpu_pct));
  const memText = `${formatPercent(h.mem_pct)} · ${formatBytes(h.mem_used_bytes)} of ${
    formatBytes(h.mem_total_bytes)
  }`;
  setText(document.getElementById("fig-mem"), memText);
  refreshAgo();
}

loadAll();
startLive({
  hosts(d) {
    const h = d.hosts.find((/** @type {any} */ x) => x.host === host);
    if (!h) return;
    updateHeader(h);
    if (h.values_at !== null && h.values_at !== lastValuesAt) {
      lastValuesAt = h.values_at;
      loadTail();
    }
  },
  open() {
    // After a reconnection the page may have missed updates: catch up.
    if (bucket !== null) loadTail();
  },
});

/**
 * The overview, live: rows follow the `hosts` events (new hosts appear, statuses and figures
 * change without a reload), sparklines follow `sparks`, and sorting and filtering happen in
 * place (the URL keeps them, so a reload or a shared link shows the same).
 */
import { byId, el, setText, svgEl } from "./dom.js";
import { formatAgo, formatBytes, formatPercent, formatRate, formatUtc } from "./format.js";
import { refreshAgo, serverNow, startLive } from "./live.js";
import { hostMatches, parseSort, sortHosts } from "./sort.js";

const SPARK_W = 120;
const SPARK_H = 28;
const SPARK_WINDOW_MS = 3_600_000;

const table = /** @type {HTMLTableElement} */ (byId("hosts-table"));
const tbody = table.tBodies[0];
const filterInput = /** @type {HTMLInputElement} */ (byId("host-filter"));
const params = new URLSearchParams(location.search);
let sort = parseSort(params.get("sort"), params.get("dir"));
let filter = filterInput.value;

/** @type {Map<string, any>} */
const hosts = new Map();
/** @type {Map<string, HTMLTableRowElement>} */
const rows = new Map();
for (const tr of tbody.rows) rows.set(tr.dataset.host ?? "", tr);
/** @type {{ from: number, hosts: Record<string, [number, number][]> } | null} */
let sparks = null;
let loaded = false;

/** @param {string} host */
const hostHref = (host) => `/hosts/${encodeURIComponent(host)}`;

/**
 * @param {[number, number][]} points
 * @param {number} from
 */
function sparkPoints(points, from) {
  const xy = points.map(([t, v]) => [
    Math.min(SPARK_W, Math.max(0, ((t - from) / SPARK_WINDOW_MS) * SPARK_W)),
    SPARK_H - (Math.min(100, Math.max(0, v)) / 100) * SPARK_H,
  ]);
  // A single point draws nothing: make it a short dash (as the server does).
  if (xy.length === 1) xy.unshift([Math.max(0, xy[0][0] - 2), xy[0][1]]);
  return xy.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(" ");
}

/** @param {string} host */
function newRow(host) {
  const svg = svgEl("svg", {
    class: "spark",
    viewBox: `0 0 ${SPARK_W} ${SPARK_H}`,
    preserveAspectRatio: "none",
    role: "img",
    "aria-label": "CPU over the last hour: no data",
  });
  svg.appendChild(svgEl("polyline", { points: "" }));
  const tr = /** @type {HTMLTableRowElement} */ (el(
    "tr",
    { "data-host": host },
    el("th", { scope: "row", "data-label": "Host" }, el("a", { href: hostHref(host) }, host)),
    el("td", { "data-label": "Status", "data-col": "status" }),
    el("td", { "data-label": "Last seen", "data-col": "last_seen" }),
    el("td", { "data-label": "CPU", "data-col": "cpu", class: "num" }),
    el("td", { "data-label": "Memory", "data-col": "mem", class: "num" }),
    el("td", { "data-label": "Fullest disk", "data-col": "disk", class: "num" }),
    el("td", { "data-label": "Net in", "data-col": "net_in", class: "num" }),
    el("td", { "data-label": "Net out", "data-col": "net_out", class: "num" }),
    el("td", { "data-label": "CPU, last hour", "data-col": "spark" }, svg),
  ));
  if (loaded) tr.classList.add("flash-new");
  return tr;
}

/**
 * @param {HTMLTableRowElement} tr
 * @param {string} col
 * @returns {HTMLElement}
 */
const cell = (tr, col) => /** @type {HTMLElement} */ (tr.querySelector(`[data-col="${col}"]`));

/**
 * Sets a cell to a main text and an optional second line.
 * @param {HTMLElement} td
 * @param {string} main
 * @param {string | null} sub
 */
function setCell(td, main, sub) {
  const text = main + (sub ?? "");
  if (td.textContent === text) return;
  td.textContent = main;
  if (sub !== null) td.appendChild(el("span", { class: "sub" }, sub));
}

/**
 * @param {HTMLTableRowElement} tr
 * @param {any} h
 */
function fillRow(tr, h) {
  tr.dataset.status = h.status;
  const status = cell(tr, "status");
  if (status.dataset.status !== h.status) {
    status.dataset.status = h.status;
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
  const seen = cell(tr, "last_seen");
  let time = seen.querySelector("time");
  if (!time) {
    seen.textContent = "";
    time = /** @type {HTMLTimeElement} */ (el("time"));
    seen.appendChild(time);
  }
  if (time.dataset.ago !== String(h.last_seen)) {
    time.dataset.ago = String(h.last_seen);
    time.dateTime = new Date(h.last_seen).toISOString();
    time.title = formatUtc(h.last_seen);
    time.textContent = formatAgo(serverNow() - h.last_seen);
  }
  setCell(cell(tr, "cpu"), formatPercent(h.cpu_pct), null);
  setCell(
    cell(tr, "mem"),
    formatPercent(h.mem_pct),
    h.mem_used_bytes !== null && h.mem_total_bytes !== null
      ? `${formatBytes(h.mem_used_bytes)} / ${formatBytes(h.mem_total_bytes)}`
      : null,
  );
  setCell(cell(tr, "disk"), formatPercent(h.disk_pct), h.disk_mount);
  setCell(cell(tr, "net_in"), formatRate(h.net_in), null);
  setCell(cell(tr, "net_out"), formatRate(h.net_out), null);
}

/**
 * @param {HTMLTableRowElement} tr
 * @param {string} host
 */
function fillSpark(tr, host) {
  if (!sparks) return;
  const points = sparks.hosts[host] ?? [];
  const svg = cell(tr, "spark").querySelector("svg");
  const line = svg?.querySelector("polyline");
  if (!svg || !line) return;
  line.setAttribute("points", sparkPoints(points, sparks.from));
  const values = points.map((p) => p[1]);
  svg.setAttribute(
    "aria-label",
    values.length === 0
      ? "CPU over the last hour: no data"
      : `CPU over the last hour: ${Math.round(Math.min(...values))} to ${
        Math.round(Math.max(...values))
      } %`,
  );
}

function renderCounts() {
  const counts = { total: hosts.size, up: 0, stale: 0, down: 0 };
  for (const h of hosts.values()) {
    if (h.status in counts) counts[/** @type {"up" | "stale" | "down"} */ (h.status)]++;
  }
  for (const [k, v] of Object.entries(counts)) {
    setText(document.querySelector(`[data-count="${k}"]`), String(v));
  }
}

function render() {
  const ordered = sortHosts([...hosts.values()], sort.key, sort.desc);
  let matching = 0;
  let previous = /** @type {Element | null} */ (null);
  for (const h of ordered) {
    let tr = rows.get(h.host);
    if (!tr) {
      tr = newRow(h.host);
      rows.set(h.host, tr);
    }
    fillRow(tr, h);
    fillSpark(tr, h.host);
    const match = hostMatches(h.host, filter);
    tr.hidden = !match;
    if (match) matching++;
    const expected = previous ? previous.nextElementSibling : tbody.firstElementChild;
    if (expected !== tr) tbody.insertBefore(tr, expected);
    previous = tr;
  }
  for (const [name, tr] of rows) {
    if (!hosts.has(name)) {
      tr.remove();
      rows.delete(name);
    }
  }
  renderCounts();
  byId("hosts-empty").hidden = hosts.size > 0;
  byId("hosts-none-match").hidden = hosts.size === 0 || matching > 0;
}

function renderSortHeaders() {
  for (const th of table.tHead?.querySelectorAll("th[data-sort]") ?? []) {
    const key = /** @type {HTMLElement} */ (th).dataset.sort;
    if (key === sort.key) th.setAttribute("aria-sort", sort.desc ? "descending" : "ascending");
    else th.removeAttribute("aria-sort");
  }
}

function updateUrl() {
  const q = new URLSearchParams();
  if (filter) q.set("q", filter);
  if (sort.key !== "host" || sort.desc) {
    q.set("sort", sort.key);
    q.set("dir", sort.desc ? "desc" : "asc");
  }
  const search = q.toString();
  history.replaceState(null, "", search ? `/?${search}` : "/");
}

table.tHead?.addEventListener("click", (ev) => {
  const a = /** @type {HTMLElement} */ (ev.target).closest("th[data-sort] a");
  if (!a || !loaded) return;
  ev.preventDefault();
  const key = /** @type {HTMLElement} */ (a.parentElement).dataset.sort ?? "host";
  sort = key === sort.key ? { key, desc: !sort.desc } : parseSort(key, null);
  renderSortHeaders();
  render();
  updateUrl();
});

filterInput.addEventListener("input", () => {
  filter = filterInput.value;
  if (loaded) render();
  updateUrl();
});
byId("host-filter-form").addEventListener("submit", (ev) => {
  if (loaded) ev.preventDefault();
});

startLive({
  hosts(d) {
    if (d.full) hosts.clear();
    for (const h of d.hosts) hosts.set(h.host, h);
    for (const name of d.removed) hosts.delete(name);
    render();
    loaded = true;
    table.dataset.live = "1";
    refreshAgo();
  },
  sparks(d) {
    sparks = { from: d.from, hosts: d.hosts };
    for (const [name, tr] of rows) fillSpark(tr, name);
  },
});

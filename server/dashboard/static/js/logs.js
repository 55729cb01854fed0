/**
 * The logs page, enhanced: "Load older" appends the next page in place; the live-tail
 * switch streams new entries matching the filters (`/dashboard/api/v1/logs/stream`) to the
 * top, reconnects after a dropped connection and fills the gap from the search. The switch's
 * state lives in the URL (`live=1`) like the filters.
 */
import { byId, el, setText } from "./dom.js";
import { formatUtc } from "./format.js";
import { getJson, startLive } from "./live.js";

/** Most rows kept on the page while tailing; older ones leave the bottom. */
const MAX_ROWS = 1000;
const PAGE = 100;

const page = byId("logs-page");
const apiQuery = page.dataset.apiQuery ?? "";
const available = page.dataset.available === "1";
const tbody = /** @type {HTMLTableElement} */ (byId("logs-table")).tBodies[0];
const tailButton = byId("live-tail");
const tailStatus = byId("tail-status");
const seen = new Set([...tbody.rows].map((r) => r.dataset.id));

/**
 * One entry row (the same structure the server renders).
 * @param {any} e
 */
function row(e) {
  return el(
    "tr",
    { "data-id": e.id, class: `log-row log-level-${e.level}` },
    el(
      "td",
      { "data-label": "Time", class: "log-time" },
      el("time", { datetime: e.time }, formatUtc(Date.parse(e.time))),
    ),
    el(
      "td",
      { "data-label": "Host", class: "log-host" },
      el("a", { href: `/hosts/${encodeURIComponent(e.host)}` }, e.host),
    ),
    el("td", { "data-label": "Level" }, el("span", { class: `level level-${e.level}` }, e.level)),
    el("td", { "data-label": "Source", class: "log-source" }, e.source),
    el(
      "td",
      { "data-label": "Message", class: "log-message" },
      e.message,
      e.truncated ? el("span", { class: "muted" }, " (truncated)") : null,
    ),
  );
}

function updateEmpty() {
  byId("logs-empty").hidden = tbody.rows.length > 0;
}

// ---- load older ---------------------------------------------------------------------------

/** @param {HTMLAnchorElement} link */
function wireOlder(link) {
  link.addEventListener("click", async (ev) => {
    ev.preventDefault();
    const cursor = link.dataset.cursor ?? "";
    setText(link, "Loading…");
    try {
      const r = await getJson(
        `/dashboard/api/v1/logs/query?${apiQuery}${apiQuery ? "&" : ""}limit=${PAGE}&cursor=${
          encodeURIComponent(cursor)
        }`,
      );
      for (const e of r.entries) {
        if (seen.has(String(e.id))) continue;
        seen.add(String(e.id));
        tbody.appendChild(row(e));
      }
      updateEmpty();
      if (r.next_cursor) {
        link.dataset.cursor = r.next_cursor;
        setText(link, "Load older");
      } else {
        link.replaceWith(el("span", { id: "no-older", class: "muted" }, "No older entries."));
      }
    } catch (e) {
      setText(link, `Load older (failed: ${/** @type {Error} */ (e).message})`);
    }
  });
}
const older = document.getElementById("load-older");
if (older) wireOlder(/** @type {HTMLAnchorElement} */ (older));

// ---- live tail ----------------------------------------------------------------------------

/** The filters the live tail takes (it has no time range). */
function streamQuery() {
  const q = new URLSearchParams(apiQuery);
  for (const k of ["from", "to", "limit", "cursor"]) q.delete(k);
  return q.toString();
}
const ignoresTime = new URLSearchParams(apiQuery).has("from") ||
  new URLSearchParams(apiQuery).has("to");

/** @type {EventSource | null} */
let tail = null;
let tailDelay = 1000;
/** @type {ReturnType<typeof setTimeout> | null} */
let tailTimer = null;
let newestTime = "";

/** @param {any} e */
function addLive(e) {
  const id = String(e.id);
  if (seen.has(id)) return;
  seen.add(id);
  const tr = row(e);
  tr.classList.add("flash-new");
  // Newest first: find the first row not newer than this one.
  let before = tbody.firstElementChild;
  while (before && (before.querySelector("time")?.getAttribute("datetime") ?? "") > e.time) {
    before = before.nextElementSibling;
  }
  tbody.insertBefore(tr, before);
  if (e.time > newestTime) newestTime = e.time;
  while (tbody.rows.length > MAX_ROWS) {
    const last = tbody.rows[tbody.rows.length - 1];
    seen.delete(last.dataset.id);
    last.remove();
  }
  updateEmpty();
}

/** After a reconnection: what arrived while the tail was away, from the search. */
async function backfill() {
  if (!newestTime) return;
  try {
    const q = new URLSearchParams(streamQuery());
    q.set("from", newestTime);
    q.set("limit", String(PAGE));
    const r = await getJson(`/dashboard/api/v1/logs/query?${q}`);
    for (const e of [...r.entries].reverse()) addLive(e);
  } catch {
    // the tail goes on; the gap stays
  }
}

function setTailStatus(/** @type {string} */ text) {
  setText(tailStatus, text);
}

function openTail() {
  tailTimer = null;
  const es = new EventSource(`/dashboard/api/v1/logs/stream?${streamQuery()}`, {
    withCredentials: true,
  });
  tail = es;
  setTailStatus("Live tail: connecting…");
  es.addEventListener("ready", () => {
    const again = tailDelay > 1000 || newestTime !== "";
    tailDelay = 1000;
    setTailStatus(
      `Live tail: on — new entries appear at the top${
        ignoresTime ? " (the time filters do not apply)" : ""
      }.`,
    );
    if (again) backfill();
  });
  es.addEventListener("log", (ev) => {
    try {
      addLive(JSON.parse(/** @type {MessageEvent} */ (ev).data));
    } catch {
      // not an entry
    }
  });
  es.addEventListener("dropped", (ev) => {
    const n = JSON.parse(/** @type {MessageEvent} */ (ev).data).dropped;
    setTailStatus(
      `Live tail: ${n} entries were skipped (they came faster than they could be shown).`,
    );
  });
  es.onerror = () => {
    es.close();
    if (tail !== es) return;
    setTailStatus("Live tail: reconnecting…");
    tailTimer = setTimeout(openTail, tailDelay + Math.random() * 300);
    tailDelay = Math.min(tailDelay * 2, 15_000);
  };
}

function closeTail() {
  tail?.close();
  tail = null;
  if (tailTimer) clearTimeout(tailTimer);
  tailTimer = null;
  setTailStatus("");
}

/** @param {boolean} on */
function setTail(on) {
  tailButton.setAttribute("aria-pressed", on ? "true" : "false");
  const url = new URL(location.href);
  if (on) url.searchParams.set("live", "1");
  else url.searchParams.delete("live");
  url.searchParams.delete("cursor");
  history.replaceState(null, "", url);
  if (on) {
    const first = tbody.querySelector("time")?.getAttribute("datetime");
    if (first && first > newestTime) newestTime = first;
    openTail();
  } else {
    closeTail();
  }
}

if (available) {
  tailButton.hidden = false;
  tailButton.addEventListener(
    "click",
    () => setTail(tailButton.getAttribute("aria-pressed") !== "true"),
  );
  if (page.dataset.live === "1") setTail(true);
}

startLive();

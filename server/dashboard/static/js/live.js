/**
 * What every page shares: the live event stream (`/dashboard/events`) with its own
 * reconnection, the status pill that says "live" or "reconnecting…", JSON requests that are
 * retried until they succeed, the firing-alerts banner, the theme switch and "… ago" times.
 *
 * A failed request or a dropped stream never stops updates for good: both are retried with
 * a growing delay (1 s to 15 s), the pill shows "reconnecting…" meanwhile, and when the
 * session has expired it says so and links to the sign-in page.
 */
import { el, replaceChildren, setText } from "./dom.js";
import { formatAgo } from "./format.js";

const body = document.body;
/** Server clock minus browser clock, so "ago" is right whatever the browser's clock says. */
let clockOffset = Number(body.dataset.serverNow ?? Date.now()) - Date.now();

/** The server's current time, in epoch milliseconds. */
export function serverNow() {
  return Date.now() + clockOffset;
}

/** @param {number} at the server's time of an event */
function syncClock(at) {
  if (Number.isFinite(at)) clockOffset = at - Date.now();
}

// ---- status pill --------------------------------------------------------------------------

const pill = document.getElementById("live-status");
const state = {
  events: "connecting",
  failing: 0,
  feedError: /** @type {string | null} */ (null),
  signedOut: false,
};

function renderStatus() {
  if (!pill) return;
  let cls = "live-ok";
  /** @type {(string | Node)[]} */
  let content = ["live"];
  if (state.signedOut) {
    cls = "live-error";
    const next = encodeURIComponent(location.pathname + location.search);
    content = ["signed out — ", el("a", { href: `/signin?next=${next}` }, "sign in")];
  } else if (state.events === "reconnecting" || state.failing > 0) {
    cls = "live-reconnecting";
    content = ["reconnecting…"];
  } else if (state.feedError) {
    cls = "live-error";
    content = [`live, but ${state.feedError}`];
  } else if (state.events === "connecting") {
    cls = "live-connecting";
    content = ["connecting…"];
  }
  pill.className = `live ${cls}`;
  pill.dataset.state = cls.slice(5);
  if (pill.textContent !== content.map((c) => typeof c === "string" ? c : c.textContent).join("")) {
    replaceChildren(pill, ...content);
  }
}

let sessionCheck = 0;
/** After failures, asks whether the session still holds (401: signed out). */
async function checkSession() {
  const now = Date.now();
  if (now - sessionCheck < 5000) return;
  sessionCheck = now;
  try {
    const r = await fetch("/dashboard/session", { credentials: "same-origin", cache: "no-store" });
    state.signedOut = r.status === 401;
  } catch {
    // unreachable: that is "reconnecting", not "signed out"
  }
  renderStatus();
}

// ---- requests -----------------------------------------------------------------------------

/** A request that failed for a reason retrying will not fix (a 4xx other than 401/429). */
export class RequestError extends Error {
  /**
   * @param {string} message
   * @param {number} status
   */
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * GETs JSON, retrying network errors, 5xx, 401 and 429 with a growing delay until it works
 * (the pill says "reconnecting…" meanwhile). Throws `RequestError` for other 4xx answers,
 * and an AbortError when `signal` aborts.
 * @param {string} url
 * @param {{ signal?: AbortSignal }} [opts]
 * @returns {Promise<any>}
 */
export async function getJson(url, opts = {}) {
  let delay = 1000;
  let failed = false;
  try {
    while (true) {
      opts.signal?.throwIfAborted();
      let status = 0;
      try {
        const r = await fetch(url, {
          credentials: "same-origin",
          cache: "no-store",
          headers: { accept: "application/json" },
          signal: opts.signal,
        });
        status = r.status;
        if (r.ok) {
          if (state.signedOut) {
            state.signedOut = false;
          }
          return await r.json();
        }
        if (status >= 400 && status < 500 && status !== 401 && status !== 429) {
          const body = await r.json().catch(() => ({}));
          throw new RequestError(body.error ?? `HTTP ${status}`, status);
        }
        await r.body?.cancel();
      } catch (e) {
        if (e instanceof RequestError || (e instanceof DOMException && e.name === "AbortError")) {
          throw e;
        }
      }
      if (!failed) {
        failed = true;
        state.failing++;
        renderStatus();
      }
      if (status === 401) checkSession();
      await sleep(delay + Math.random() * 300);
      delay = Math.min(delay * 2, 15_000);
    }
  } finally {
    if (failed) {
      state.failing--;
      renderStatus();
    }
  }
}

// ---- event stream -------------------------------------------------------------------------

/**
 * @typedef {object} LiveHandlers
 * @property {(data: any) => void} [hosts]
 * @property {(data: any) => void} [sparks]
 * @property {(data: any) => void} [alerts]
 * @property {() => void} [open] called on every (re)connection
 */

/** Longest silence on the stream before it is treated as dead (the server pings every 15 s). */
const STREAM_SILENCE_MS = 40_000;
/** How long a hidden tab keeps its stream before letting it go. */
const HIDDEN_GRACE_MS = 30_000;

/**
 * Connects to the page's event stream (`data-events` on `<body>`) and keeps it connected.
 * @param {LiveHandlers} handlers
 */
export function startLive(handlers = {}) {
  const url = body.dataset.events;
  if (!url) return;
  /** @type {EventSource | null} */
  let es = null;
  let delay = 1000;
  let lastMessage = Date.now();
  /** @type {ReturnType<typeof setTimeout> | null} */
  let timer = null;

  /** @param {string} name @param {(data: any) => void} fn */
  const on = (name, fn) =>
    es?.addEventListener(name, (ev) => {
      lastMessage = Date.now();
      let data;
      try {
        data = JSON.parse(/** @type {MessageEvent} */ (ev).data);
      } catch {
        return;
      }
      if (typeof data?.at === "number") syncClock(data.at);
      fn(data);
    });

  const retry = () => {
    if (paused) return;
    es?.close();
    es = null;
    state.events = "reconnecting";
    renderStatus();
    checkSession();
    if (timer) clearTimeout(timer);
    timer = setTimeout(connect, delay + Math.random() * 300);
    delay = Math.min(delay * 2, 15_000);
  };

  const connect = () => {
    timer = null;
    lastMessage = Date.now();
    es = new EventSource(url, { withCredentials: true });
    es.onopen = () => {
      delay = 1000;
      lastMessage = Date.now();
      state.events = "ok";
      state.signedOut = false;
      renderStatus();
      handlers.open?.();
    };
    es.onerror = () => {
      // CLOSED: the browser gave up (an HTTP error such as 401); otherwise it retries itself.
      if (!es || es.readyState === EventSource.CLOSED) retry();
      else {
        state.events = "reconnecting";
        renderStatus();
        checkSession();
      }
    };
    on("ping", () => {});
    on("feed", (d) => {
      state.feedError = d.ok ? null : (d.error ?? "the server reports an error");
      renderStatus();
    });
    on("alerts", (d) => {
      renderBanner(d.alerts);
      handlers.alerts?.(d);
    });
    if (handlers.hosts) on("hosts", handlers.hosts);
    if (handlers.sparks) on("sparks", handlers.sparks);
  };

  // A connection that stays open but says nothing (a proxy holding it) counts as dropped.
  setInterval(() => {
    if (es && Date.now() - lastMessage > STREAM_SILENCE_MS) retry();
  }, 5000);

  // A tab left in the background lets go of its stream (browsers allow six connections per
  // site over HTTP/1.1, so many open tabs would otherwise starve the next one) and catches up
  // when it is shown again.
  /** @type {ReturnType<typeof setTimeout> | null} */
  let hiddenTimer = null;
  let paused = false;
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) {
      hiddenTimer = setTimeout(() => {
        if (timer) clearTimeout(timer);
        timer = null;
        es?.close();
        es = null;
        paused = true;
      }, HIDDEN_GRACE_MS);
    } else {
      if (hiddenTimer) clearTimeout(hiddenTimer);
      hiddenTimer = null;
      if (paused) {
        paused = false;
        delay = 1000;
        connect();
      }
    }
  });
  connect();
}

// ---- alerts banner ------------------------------------------------------------------------

/**
 * Redraws the banner from the active alerts (same markup as the server renders).
 * @param {any[] | null} alerts
 */
function renderBanner(alerts) {
  const banner = document.getElementById("alert-banner");
  if (!banner) return;
  if (!alerts) {
    banner.hidden = true;
    return;
  }
  banner.hidden = false;
  const firing = alerts.filter((a) => a.state === "firing" && !a.silenced);
  const silenced = alerts.filter((a) => a.state === "firing" && a.silenced).length;
  const pending = alerts.filter((a) => a.state === "pending").length;
  if (firing.length === 0) {
    banner.className = "banner banner-ok";
    banner.setAttribute("role", "status");
    replaceChildren(
      banner,
      el("span", {}, "No alerts firing"),
      pending > 0 || silenced > 0
        ? el("span", { class: "muted" }, `(${pending} pending, ${silenced} silenced)`)
        : null,
    );
    return;
  }
  banner.className = "banner banner-firing";
  banner.setAttribute("role", "alert");
  const shown = firing.slice(0, 5);
  replaceChildren(
    banner,
    el("a", { href: "/alerts" }, el("strong", {}, `${firing.length} firing`)),
    el(
      "ul",
      {},
      ...shown.map((a) =>
        el(
          "li",
          {},
          el("span", { class: `sev sev-${a.severity}` }, a.severity),
          ` ${a.rule} `,
          el("span", { class: "muted" }, "on"),
          ` ${a.host}`,
        )
      ),
      firing.length > shown.length
        ? el("li", {}, `and ${firing.length - shown.length} more`)
        : null,
    ),
  );
}

// ---- theme and times ----------------------------------------------------------------------

const themeButton = document.getElementById("theme-toggle");
if (themeButton) {
  themeButton.hidden = false;
  themeButton.addEventListener("click", () => {
    const root = document.documentElement;
    const next = root.dataset.theme === "light" ? "dark" : "light";
    root.dataset.theme = next;
    document.cookie = `mo_theme=${next}; Path=/; Max-Age=31536000; SameSite=Strict`;
    setText(themeButton, next === "dark" ? "Light theme" : "Dark theme");
    globalThis.dispatchEvent(new Event("themechange"));
  });
}

/** Rewrites every `<time data-ago>` as "… ago" against the server's clock. */
export function refreshAgo() {
  const now = serverNow();
  for (const t of document.querySelectorAll("time[data-ago]")) {
    setText(t, formatAgo(now - Number(/** @type {HTMLElement} */ (t).dataset.ago)));
  }
}
setInterval(refreshAgo, 1000);

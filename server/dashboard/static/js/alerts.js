/**
 * The alerts page, live: the firing and pending table follows the `alerts` events (the
 * banner is redrawn by `live.js`). Silences are created and expired by plain forms.
 */
import { byId, el, replaceChildren } from "./dom.js";
import { formatUtc } from "./format.js";
import { startLive } from "./live.js";

const page = byId("alerts-page");
const canWrite = page.dataset.canWrite === "1";
const tbody = /** @type {HTMLTableElement} */ (byId("active-alerts")).tBodies[0];

/** @param {any} a */
function row(a) {
  const value = a.value === null ? "—" : String(Number(Number(a.value).toPrecision(6)));
  return el(
    "tr",
    { "data-fingerprint": a.fingerprint, class: `alert-${a.state}` },
    el(
      "td",
      { "data-label": "State" },
      el("span", { class: `state state-${a.state}` }, a.state),
      a.silenced ? el("span", { class: "state state-silenced" }, "silenced") : null,
    ),
    el(
      "td",
      { "data-label": "Severity" },
      el("span", { class: `sev sev-${a.severity}` }, a.severity),
    ),
    el("td", { "data-label": "Rule" }, a.rule),
    el(
      "td",
      { "data-label": "Host" },
      el("a", { href: `/hosts/${encodeURIComponent(a.host)}` }, a.host),
    ),
    el("td", { "data-label": "Value", class: "num" }, value),
    el("td", { "data-label": "Since" }, formatUtc(Date.parse(a.since))),
    el("td", { "data-label": "Summary" }, a.summary),
    el(
      "td",
      { "data-label": "" },
      canWrite
        ? el(
          "a",
          {
            class: "button small",
            href: `/alerts/silence?${new URLSearchParams({ rule: a.rule, host: a.host })}`,
          },
          "Silence…",
        )
        : null,
    ),
  );
}

startLive({
  alerts(d) {
    const list = d.alerts ?? [];
    replaceChildren(tbody, ...list.map(row));
    byId("active-empty").hidden = list.length > 0;
  },
});

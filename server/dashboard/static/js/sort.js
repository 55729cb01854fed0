// @ts-check
/**
 * Sorting and filtering the overview's hosts, shared by the server (which renders the
 * table in the order the URL asks for) and the browser (which re-sorts without a reload).
 */

/** Keys the overview sorts by, as they appear in `?sort=`. */
export const SORT_KEYS = ["host", "status", "last_seen", "cpu", "mem", "disk", "net_in", "net_out"];

/**
 * @typedef {object} SortableHost
 * @property {string} host
 * @property {string} status `up`, `stale` or `down`
 * @property {number} last_seen
 * @property {number | null} cpu_pct
 * @property {number | null} mem_pct
 * @property {number | null} disk_pct
 * @property {number | null} net_in
 * @property {number | null} net_out
 */

/** @type {Record<string, number>} down first: the hosts that need a look. */
const STATUS_ORDER = { down: 0, stale: 1, up: 2 };

/**
 * @param {SortableHost} h
 * @param {string} key
 * @returns {number | string | null}
 */
function sortValue(h, key) {
  switch (key) {
    case "status":
      return STATUS_ORDER[h.status] ?? 3;
    case "last_seen":
      return h.last_seen;
    case "cpu":
      return h.cpu_pct;
    case "mem":
      return h.mem_pct;
    case "disk":
      return h.disk_pct;
    case "net_in":
      return h.net_in;
    case "net_out":
      return h.net_out;
    default:
      return h.host;
  }
}

/**
 * A sorted copy of `hosts` by `key` (descending with `desc`); hosts without a value come
 * last in either direction; ties go by name.
 * @template {SortableHost} T
 * @param {readonly T[]} hosts
 * @param {string} key
 * @param {boolean} desc
 * @returns {T[]}
 */
export function sortHosts(hosts, key, desc) {
  return [...hosts].sort((a, b) => {
    const va = sortValue(a, key);
    const vb = sortValue(b, key);
    if (va === null && vb !== null) return 1;
    if (vb === null && va !== null) return -1;
    let c = 0;
    if (va !== null && vb !== null && va !== vb) {
      c = va < vb ? -1 : 1;
      if (desc) c = -c;
    }
    return c !== 0 ? c : a.host < b.host ? -1 : a.host > b.host ? 1 : 0;
  });
}

/**
 * True when the host's name contains `filter` (case-insensitive); every host matches an
 * empty filter.
 * @param {string} host
 * @param {string} filter
 * @returns {boolean}
 */
export function hostMatches(host, filter) {
  const f = filter.trim().toLowerCase();
  return f === "" || host.toLowerCase().includes(f);
}

/**
 * Reads `?sort=` and `?dir=`: an unknown key falls back to `host`, the direction to
 * ascending (names, status) or descending (figures: the busiest first).
 * @param {string | null | undefined} sort
 * @param {string | null | undefined} dir
 * @returns {{ key: string, desc: boolean }}
 */
export function parseSort(sort, dir) {
  const key = sort && SORT_KEYS.includes(sort) ? sort : "host";
  const desc = dir === "desc" ? true : dir === "asc" ? false : !["host", "status"].includes(key);
  return { key, desc };
}

/**
 * Canonical label sets: one JSON text per distinct set, keys sorted, so that equal sets
 * give equal cache keys however the agent ordered them.
 */

/** Labels as the model carries them. */
export type Labels = Record<string, string>;

/** The JSON of `labels` with keys in ascending order (`{}` when empty). */
export function canonicalLabels(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return "{}";
  let sorted = true;
  for (let i = 1; i < keys.length && sorted; i++) sorted = keys[i - 1] < keys[i];
  if (sorted) return JSON.stringify(labels);
  keys.sort();
  const ordered: Labels = {};
  for (const k of keys) ordered[k] = labels[k];
  return JSON.stringify(ordered);
}

/** The cache key of one series: host, name and canonical labels, NUL-separated. */
export function seriesKey(host: string, name: string, canonical: string): string {
  return `${host}\u0000${name}\u0000${canonical}`;
}

/** Compares canonical label texts for a stable result order. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Number formatting shared by the advice texts and the report table. */

/** Bytes as MB (10^6) with one decimal: `104857600` → `104.9 MB`. */
export function formatMB(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/** Seconds as a short human figure: `0.0000042` → `4 µs`, `0.0123` → `12.3 ms`, `2.5` → `2.50 s`. */
export function formatSeconds(seconds: number): string {
  if (seconds > 0 && seconds < 0.0001) return `${Math.round(seconds * 1e6)} µs`;
  if (seconds < 1) return `${(seconds * 1000).toFixed(1)} ms`;
  return `${seconds.toFixed(2)} s`;
}

/** A duration in milliseconds as `3d 4h`, `2h 5m`, `1h`, `7m 3s`, `20m` or `12s`. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const two = (a: number, ua: string, b: number, ub: string) =>
    b ? `${a}${ua} ${b}${ub}` : `${a}${ua}`;
  if (d > 0) return two(d, "d", h, "h");
  if (h > 0) return two(h, "h", m, "m");
  if (m > 0) return two(m, "m", s % 60, "s");
  return `${s}s`;
}

/** `{ a: 2, b: 1 }` as `a 2, b 1`, largest first. */
export function formatCounts(counts: Readonly<Record<string, number>>): string {
  return Object.entries(counts).sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]))
    .map(([k, v]) => `${k} ${v}`).join(", ");
}

/**
 * Plain-text output of the benchmarks: aligned tables, thousands separators, and one
 * PASS/MISS line per target.
 *
 * @example
 * ```ts
 * console.log(formatTable(["phase", "samples/s"], [["http", formatInt(152_000)]]));
 * console.log(formatVerdict({ name: "throughput", pass: true, figure: "152,000 /s", target: "≥ 150,000 /s" }));
 * ```
 */

/** One target a benchmark checks: whether it was met, the measured figure and the bar. */
export interface Verdict {
  name: string;
  pass: boolean;
  figure: string;
  target: string;
}

/** `1234567.8` → `1,234,568`. */
export function formatInt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** Milliseconds with a precision that suits their size: `0.84`, `12.3`, `250`. */
export function formatMs(ms: number): string {
  if (ms < 10) return ms.toFixed(2);
  if (ms < 100) return ms.toFixed(1);
  return ms.toFixed(0);
}

/** `0.6234` → `62.3 %`. */
export function formatPct(ratio: number): string {
  return `${(ratio * 100).toFixed(1)} %`;
}

/**
 * Renders rows under headers as aligned columns; the first column is left-aligned, the
 * others right-aligned (they are numbers).
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [line(headers), rule, ...rows.map(line)].join("\n");
}

/** `PASS  end to end ≥ 150,000 samples/s: 162,000` (MISS when the target was not met). */
export function formatVerdict(v: Verdict): string {
  return `${v.pass ? "PASS" : "MISS"}  ${v.name} (target ${v.target}): ${v.figure}`;
}

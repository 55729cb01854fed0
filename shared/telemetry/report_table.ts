/**
 * Renders a self-report as a boxed console table (`deno task report`): a title, memory,
 * runtime and metric sections of key/value rows, then the advice in full sentences.
 *
 * @example
 * ```ts
 * console.log(renderReportTable(report));
 * // ┌──────────────────────────────────────────────┐
 * // │ MiniObserv server 0.1.0 · up 2h 5m · …        │
 * // ├─────────────────────┬────────────────────────┤
 * // │ RSS                 │ 84.2 MB (peak 90.1 MB)  │
 * ```
 */
import { formatAge, formatMB, formatSeconds } from "./format.ts";
import { METRIC_PREFIX } from "./names.ts";
import type { MetricFamilyReport, SelfReport } from "./report.ts";

/** Total width of the table in characters, by default. */
export const DEFAULT_TABLE_WIDTH = 112;
const KEY_WIDTH = 40;
const SPARK = "▁▂▃▄▅▆▇█";

/** Splits `text` into lines of at most `width` characters, at spaces where possible. */
export function wrapText(text: string, width: number): string[] {
  const out: string[] = [];
  for (const para of text.split("\n")) {
    let line = "";
    for (const word of para.split(/\s+/).filter((w) => w.length > 0)) {
      let w = word;
      while (w.length > width) {
        if (line) {
          out.push(line);
          line = "";
        }
        out.push(w.slice(0, width));
        w = w.slice(width);
      }
      if (!line) line = w;
      else if (line.length + 1 + w.length <= width) line += ` ${w}`;
      else {
        out.push(line);
        line = w;
      }
    }
    out.push(line);
  }
  return out;
}

/** A sparkline of `values` (at most `width` characters, each the mean of its span). */
export function sparkline(values: readonly number[], width: number): string {
  if (values.length === 0) return "";
  const n = Math.min(width, values.length);
  const points: number[] = [];
  for (let i = 0; i < n; i++) {
    const from = Math.floor(i * values.length / n);
    const to = Math.max(from + 1, Math.floor((i + 1) * values.length / n));
    const span = values.slice(from, to);
    points.push(span.reduce((a, b) => a + b, 0) / span.length);
  }
  const min = Math.min(...points);
  const max = Math.max(...points);
  return points.map((v) =>
    SPARK[max === min ? 0 : Math.round((v - min) / (max - min) * (SPARK.length - 1))]
  ).join("");
}

function formatNumber(v: number, name: string): string {
  if (name.endsWith("_bytes")) return formatMB(v);
  if (name.endsWith("_seconds")) return formatSeconds(v);
  if (Number.isInteger(v)) return v.toLocaleString("en-US");
  return String(Math.round(v * 1000) / 1000);
}

/** One family's series as a short text (zero-valued labelled series left out). */
export function summarizeFamily(f: MetricFamilyReport): string {
  const parts: string[] = [];
  for (const s of f.series) {
    const labels = Object.entries(s.labels).map(([k, v]) => `${k}=${v}`).join(",");
    const value = s.count !== undefined
      ? `${s.count.toLocaleString("en-US")}× ${formatSeconds((s.sum ?? 0) / (s.count || 1))} avg`
      : formatNumber(s.value ?? 0, f.name);
    if (labels && (s.value === 0 || s.count === 0)) continue;
    parts.push(labels ? `${labels}: ${value}` : value);
  }
  return parts.length ? parts.join("; ") : "0";
}

type Row = { key: string; value: string } | { full: string } | "separator";

function rows(report: SelfReport): { title: string; sections: Row[][] } {
  const c = report.current;
  const p = report.peaks;
  const peak = (v: { value: number; at: number } | null, f: (n: number) => string) =>
    v
      ? ` (peak ${f(v.value)} at ${new Date(v.at).toISOString().slice(0, 16).replace("T", " ")})`
      : "";
  const a = report.analysis;
  const trend = a.rss && a.heapUsed
    ? `${a.verdict}: RSS ${a.rss.slopeMBPerHour.toFixed(1)} MB/h, heap used ${
      a.heapUsed.slopeMBPerHour.toFixed(1)
    } MB/h (threshold ${a.thresholdMBPerHour} MB/h)`
    : `${a.verdict}: ${a.reason}`;
  const lastHour = report.snapshots.filter((s) =>
    s.at >= Date.parse(report.generatedAt) - 3_600_000
  );
  const memory: Row[] = [
    { key: "RSS", value: formatMB(c.rssBytes) + peak(p.rssBytes, formatMB) },
    {
      key: "Heap used / total",
      value: `${formatMB(c.heapUsedBytes)} / ${formatMB(c.heapTotalBytes)}` +
        peak(p.heapUsedBytes, formatMB),
    },
    { key: "External", value: formatMB(c.externalBytes) },
    { key: "Memory trend (last hour)", value: trend },
  ];
  if (lastHour.length >= 2) {
    memory.push({ key: "RSS, last hour", value: sparkline(lastHour.map((s) => s.rssBytes), 60) });
  }
  const lag = report.eventLoop;
  const runtime: Row[] = [
    {
      key: "Garbage collection",
      value: `${c.gcCount.toLocaleString("en-US")} collections, ${
        formatSeconds(c.gcPauseSeconds)
      } paused in total`,
    },
    {
      key: "Event-loop delay",
      value: lag.lagP99Seconds === null
        ? "not measured yet"
        : `p99 ${formatSeconds(lag.lagP99Seconds)}, max ${formatSeconds(lag.lagMaxSeconds ?? 0)}` +
          peak(p.eventLoopLagMaxSeconds, formatSeconds),
    },
    {
      key: "Snapshots",
      value: `${report.snapshotsTotal} every ${report.snapshotIntervalSeconds} s (kept 24 h)`,
    },
  ];
  for (const u of report.unavailable) runtime.push({ key: "Unavailable", value: u });
  const own = report.metrics.filter((f) =>
    !/^miniobserv_(process_|nodejs_|build_info)/.test(f.name)
  );
  const metrics: Row[] = own.map((f) => ({
    key: f.name.slice(METRIC_PREFIX.length),
    value: summarizeFamily(f),
  }));
  const advice: Row[] = report.advice.length === 0
    ? [{ full: "No advice: nothing looks wrong." }]
    : report.advice.flatMap((x, i) => [
      ...(i > 0 ? [{ full: "" }] : []),
      {
        full: `${
          x.severity === "critical" ? "!!" : "! "
        } ${x.severity.toUpperCase()}: ${x.message}`,
      },
    ]);
  return {
    title: `MiniObserv ${report.program} ${report.version} · up ${
      formatAge(report.uptimeSeconds * 1000)
    } · ${report.generatedAt}`,
    sections: [memory, runtime, metrics.length ? metrics : [{ key: "Metrics", value: "none" }], [
      { full: "Advice" },
      ...advice,
    ]],
  };
}

/** The report as a boxed table `width` characters wide. */
export function renderReportTable(report: SelfReport, width = DEFAULT_TABLE_WIDTH): string {
  const inner = width - 4;
  const valueWidth = width - KEY_WIDTH - 7;
  const { title, sections } = rows(report);
  const out: string[] = [];
  const full = (text: string) => {
    for (const l of wrapText(text, inner)) out.push(`│ ${l.padEnd(inner)} │`);
  };
  const hr = (l: string, mid: string | null, r: string) =>
    mid === null
      ? `${l}${"─".repeat(width - 2)}${r}`
      : `${l}${"─".repeat(KEY_WIDTH + 2)}${mid}${"─".repeat(valueWidth + 2)}${r}`;
  out.push(hr("┌", null, "┐"));
  full(title);
  let prevSplit = false;
  sections.forEach((section) => {
    const split = section.length > 0 && typeof section[0] === "object" && "key" in section[0];
    out.push(hr("├", prevSplit && split ? "┼" : split ? "┬" : prevSplit ? "┴" : null, "┤"));
    for (const row of section) {
      if (row === "separator") continue;
      if ("full" in row) {
        full(row.full);
        continue;
      }
      const keys = wrapText(row.key, KEY_WIDTH);
      const values = wrapText(row.value, valueWidth);
      for (let i = 0; i < Math.max(keys.length, values.length); i++) {
        out.push(
          `│ ${(keys[i] ?? "").padEnd(KEY_WIDTH)} │ ${(values[i] ?? "").padEnd(valueWidth)} │`,
        );
      }
    }
    prevSplit = split;
  });
  out.push(hr("└", prevSplit ? "┴" : null, "┘"));
  return out.join("\n");
}

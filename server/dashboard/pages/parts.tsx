/**
 * Small pieces shared by the pages: the status badge (coloured and worded), "… ago" times
 * that the browser keeps current, the CPU sparkline as inline SVG (no script needed).
 */
import type { FC } from "hono/jsx";
import type { SparkPoint } from "../fleet_reader.ts";
import { formatAgo, formatUtc } from "../static/js/format.js";

/** A host status: a coloured dot and the word. */
export const StatusBadge: FC<{ status: string }> = ({ status }) => (
  <span class={`status status-${status}`} data-status={status}>
    <span class="dot" aria-hidden="true"></span>
    {status}
  </span>
);

/** `3 s ago`, with the exact UTC time as a tooltip; `live.js` updates it every second. */
export const Ago: FC<{ ms: number | null; now: number }> = ({ ms, now }) =>
  ms === null
    ? <span class="muted">never</span>
    : (
      <time datetime={new Date(ms).toISOString()} data-ago={String(ms)} title={formatUtc(ms)}>
        {formatAgo(now - ms)}
      </time>
    );

/** Width and height of the sparkline's view box. */
export const SPARK_VIEW = { width: 120, height: 28 } as const;

/**
 * The polyline points of a 0–100 % sparkline over [fromMs, fromMs + windowMs]: x by time,
 * y inverted (100 % at the top).
 */
export function sparkPoints(
  points: readonly SparkPoint[],
  fromMs: number,
  windowMs: number,
): string {
  const { width, height } = SPARK_VIEW;
  const xy = points.map(([t, v]) => [
    Math.min(width, Math.max(0, ((t - fromMs) / windowMs) * width)),
    height - (Math.min(100, Math.max(0, v)) / 100) * height,
  ]);
  // A single point draws nothing: make it a short dash.
  if (xy.length === 1) xy.unshift([Math.max(0, xy[0][0] - 2), xy[0][1]]);
  return xy.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(" ");
}

/** The CPU sparkline of one host (an empty frame when there is no data). */
export const Sparkline: FC<
  { points: readonly SparkPoint[] | undefined; fromMs: number; windowMs: number }
> = (
  { points, fromMs, windowMs },
) => {
  const list = points ?? [];
  const label = list.length === 0
    ? "CPU over the last hour: no data"
    : `CPU over the last hour: ${Math.round(Math.min(...list.map((p) => p[1])))} to ${
      Math.round(Math.max(...list.map((p) => p[1])))
    } %`;
  return (
    <svg
      class="spark"
      viewBox={`0 0 ${SPARK_VIEW.width} ${SPARK_VIEW.height}`}
      preserveAspectRatio="none"
      role="img"
      aria-label={label}
    >
      <polyline points={sparkPoints(list, fromMs, windowMs)} />
    </svg>
  );
};

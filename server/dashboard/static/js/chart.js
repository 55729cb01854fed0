/**
 * Time-series charts with uPlot (loaded as a classic script before this module): units on
 * the value axis (%, bytes with binary prefixes, bytes/s, load), a legend that shows the
 * exact values and time under the cursor, colours from the theme, width following the
 * page, and a keyboard cursor (arrow keys, Home, End, Escape) for people without a mouse.
 */
import { binaryTicks, formatTick, formatValue } from "./format.js";

/** @type {any} */
const uPlot = /** @type {any} */ (globalThis).uPlot;

/**
 * @typedef {object} SeriesSpec
 * @property {string} label
 * @property {number} [colour] index into the theme's series colours (1–8)
 * @property {boolean} [dashed]
 */

/**
 * Aligns series of `[ms, value]` points on the union of their times (seconds, as uPlot
 * wants them); a series without a point at a time gets null there.
 * @param {[number, number][][]} seriesPoints
 * @returns {[number[], ...(number | null)[][]]}
 */
export function alignSeries(seriesPoints) {
  const times = new Set();
  for (const pts of seriesPoints) for (const [t] of pts) times.add(t);
  const xs = [...times].sort((a, b) => a - b);
  const index = new Map(xs.map((t, i) => [t, i]));
  const ys = seriesPoints.map((pts) => {
    /** @type {(number | null)[]} */
    const col = new Array(xs.length).fill(null);
    for (const [t, v] of pts) col[/** @type {number} */ (index.get(t))] = v;
    return col;
  });
  return [xs.map((t) => t / 1000), ...ys];
}

/** @param {string} name */
function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** @param {number} secs */
function formatCursorTime(secs) {
  const d = new Date(secs * 1000);
  return d.toLocaleString(undefined, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}

/** A chart in a container; `setData` redraws, `destroy` removes it. */
export class Chart {
  /**
   * @param {HTMLElement} container the `.plot` element
   * @param {{ unit: string, series: SeriesSpec[], xRange: () => [number, number] }} spec
   *   `xRange`: the time window shown, in epoch milliseconds (the whole range, not just the data)
   */
  constructor(container, spec) {
    this.container = container;
    this.spec = spec;
    /** @type {any} */
    this.plot = null;
    /** @type {[number[], ...(number | null)[][]]} */
    this.data = [[], ...spec.series.map(() => [])];
    this.cursorIdx = -1;
    this.#build();
    new ResizeObserver(() => {
      if (this.plot) this.plot.setSize(this.#size());
    }).observe(container);
    globalThis.addEventListener("themechange", () => this.#build());
    container.addEventListener("keydown", (ev) => this.#key(ev));
  }

  #size() {
    return { width: Math.max(240, this.container.clientWidth), height: 220 };
  }

  #build() {
    const { unit, series } = this.spec;
    const axis = cssVar("--chart-axis");
    const grid = cssVar("--chart-grid");
    const fmt = (/** @type {number | null} */ v) =>
      v === null || v === undefined ? "—" : formatValue(unit, v);
    /** @type {any} */
    const y = {
      stroke: axis,
      grid: { stroke: grid },
      ticks: { stroke: grid },
      size: 78,
      values: (/** @type {any} */ _u, /** @type {number[]} */ splits) => {
        const labels = splits.map((v) => formatTick(unit, v));
        // The axis is drawn on a canvas: keep its labels readable for tests and tools.
        this.container.dataset.yTicks = labels.join("|");
        return labels;
      },
    };
    if (unit === "bytes" || unit === "rate") {
      y.splits = (
        /** @type {any} */ u,
        /** @type {number} */ _i,
        /** @type {number} */ min,
        /** @type {number} */ max,
      ) => binaryTicks(min, max, Math.max(2, Math.floor(u.bbox.height / devicePixelRatio / 35)));
    }
    const opts = {
      ...this.#size(),
      scales: {
        x: {
          time: true,
          range: () => {
            const [from, to] = this.spec.xRange();
            return [from / 1000, to / 1000];
          },
        },
        y: unit === "percent" ? { range: [0, 100] } : {
          range: (
            /** @type {any} */ _u,
            /** @type {number} */ _min,
            /** @type {number} */ max,
          ) => [0, max > 0 ? max * 1.1 : 1],
        },
      },
      axes: [{ stroke: axis, grid: { stroke: grid }, ticks: { stroke: grid } }, y],
      series: [
        {
          value: (/** @type {any} */ _u, /** @type {number | null} */ ts) =>
            ts === null ? "—" : formatCursorTime(ts),
        },
        ...series.map((s, i) => ({
          label: s.label,
          stroke: cssVar(`--series-${((s.colour ?? i) % 8) + 1}`),
          width: 1.5,
          dash: s.dashed ? [6, 4] : undefined,
          spanGaps: false,
          points: { show: false },
          value: (/** @type {any} */ _u, /** @type {number | null} */ v) => fmt(v),
        })),
      ],
      legend: { live: true },
      cursor: { focus: { prox: 16 } },
    };
    const old = this.plot;
    this.plot = new uPlot(opts, this.data, this.container);
    old?.destroy();
  }

  /**
   * Changes the series (labels, colours) and redraws with `data`.
   * @param {SeriesSpec[]} series
   * @param {[number[], ...(number | null)[][]]} data
   */
  respec(series, data) {
    this.spec = { ...this.spec, series };
    this.data = data;
    this.#build();
  }

  /**
   * Replaces the data: `[xs (s), ...ys]` aligned as `alignSeries` makes them.
   * @param {[number[], ...(number | null)[][]]} data
   */
  setData(data) {
    this.data = data;
    this.plot.setData(data);
  }

  /** @param {KeyboardEvent} ev */
  #key(ev) {
    const xs = this.data[0];
    if (xs.length === 0) return;
    let i = this.cursorIdx;
    if (ev.key === "ArrowLeft") i = i < 0 ? xs.length - 1 : Math.max(0, i - 1);
    else if (ev.key === "ArrowRight") i = i < 0 ? xs.length - 1 : Math.min(xs.length - 1, i + 1);
    else if (ev.key === "Home") i = 0;
    else if (ev.key === "End") i = xs.length - 1;
    else if (ev.key === "Escape") i = -1;
    else return;
    ev.preventDefault();
    this.cursorIdx = i;
    const u = this.plot;
    if (i < 0) u.setCursor({ left: -10, top: -10 });
    else u.setCursor({ left: u.valToPos(xs[i], "x"), top: u.bbox.height / devicePixelRatio / 2 });
  }

  destroy() {
    this.plot?.destroy();
    this.plot = null;
  }
}

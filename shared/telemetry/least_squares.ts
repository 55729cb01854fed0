/**
 * Ordinary least-squares slope of y over x: the rate that best explains a series.
 *
 * @example
 * ```ts
 * leastSquaresSlope([{ x: 0, y: 1 }, { x: 1, y: 3 }, { x: 2, y: 5 }]); // 2
 * ```
 */

/** One point of a series. */
export interface Point {
  x: number;
  y: number;
}

/**
 * The slope of the least-squares line through `points`; null with fewer than two distinct x.
 * x is centred on its mean first, so epoch-millisecond x values lose no precision.
 */
export function leastSquaresSlope(points: readonly Point[]): number | null {
  const n = points.length;
  if (n < 2) return null;
  let mx = 0;
  let my = 0;
  for (const p of points) {
    mx += p.x;
    my += p.y;
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    const dx = p.x - mx;
    sxx += dx * dx;
    sxy += dx * (p.y - my);
  }
  return sxx === 0 ? null : sxy / sxx;
}

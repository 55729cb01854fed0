/** Aligning series on one time axis for uPlot (the browser side, tested without a browser). */
import assert from "node:assert/strict";
import { alignSeries } from "../../../server/dashboard/static/js/chart.js";

Deno.test("chart: series are aligned on the union of their times, in seconds, gaps as null", () => {
  assert.deepEqual(
    alignSeries([
      [[10_000, 1], [20_000, 2], [30_000, 3]],
      [[20_000, 20], [40_000, 40]],
    ]),
    [[10, 20, 30, 40], [1, 2, 3, null], [null, 20, null, 40]],
  );
  assert.deepEqual(alignSeries([]), [[]]);
  assert.deepEqual(alignSeries([[]]), [[], []]);
});

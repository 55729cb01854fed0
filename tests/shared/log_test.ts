import assert from "node:assert/strict";
import { createLogger } from "../../shared/log.ts";

Deno.test("logger: one JSON object per line, filtered by level, child fields merged", () => {
  const lines: string[] = [];
  const log = createLogger("info", (l) => lines.push(l), () => Date.UTC(2026, 0, 1));
  log.debug("hidden");
  log.child({ component: "cpu" }).warn("slow", { err: new Error("boom"), ms: 3 });
  assert.equal(lines.length, 1);
  assert.deepEqual(JSON.parse(lines[0]), {
    time: "2026-01-01T00:00:00.000Z",
    level: "warn",
    msg: "slow",
    component: "cpu",
    err: "boom",
    ms: 3,
  });
});

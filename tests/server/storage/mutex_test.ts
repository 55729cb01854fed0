/** The PGlite driver's lock: holders run one at a time, in arrival order, failures included. */
import assert from "node:assert/strict";
import { Mutex } from "../../../server/db/mutex.ts";

Deno.test("mutex: holders run one at a time in order, and a failure does not block the next", async () => {
  const mutex = new Mutex();
  const log: string[] = [];
  let running = 0;
  const task = (name: string, fail = false) =>
    mutex.run(async () => {
      running++;
      assert.equal(running, 1);
      log.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, 5));
      log.push(`end ${name}`);
      running--;
      if (fail) throw new Error(name);
      return name;
    });
  const results = await Promise.allSettled([task("a"), task("b", true), task("c")]);
  assert.deepEqual(results.map((r) => r.status), ["fulfilled", "rejected", "fulfilled"]);
  assert.deepEqual(log, ["start a", "end a", "start b", "end b", "start c", "end c"]);
});

import assert from "node:assert/strict";
import { StatfsGuard, StuckMountError } from "../../../agent/statfs/statfs_guard.ts";
import type { StatfsResult } from "../../../agent/statfs/statfs.ts";

const OK: StatfsResult = { frsize: 4096, blocks: 10, bfree: 5, bavail: 4 };

Deno.test("StatfsGuard: a prompt answer passes through; errors pass through", async () => {
  const guard = new StatfsGuard(
    (p) => p === "/" ? Promise.resolve(OK) : Promise.reject(new Error("ENOENT")),
    1000,
  );
  assert.deepEqual(await guard.statfs("/"), OK);
  await assert.rejects(guard.statfs("/gone"), /ENOENT/);
  assert.deepEqual(guard.stuckMounts, []);
});

Deno.test("StatfsGuard: timeout marks the mount stuck until the very call returns", async () => {
  let release!: () => void;
  const blocked = new Promise<StatfsResult>((resolve) => release = () => resolve(OK));
  let calls = 0;
  const guard = new StatfsGuard(() => {
    calls++;
    return blocked;
  }, 10);
  await assert.rejects(
    guard.statfs("/mnt/nfs"),
    (e: unknown) =>
      e instanceof StuckMountError && !e.alreadyStuck && /within 10 ms/.test(e.message),
  );
  await assert.rejects(
    guard.statfs("/mnt/nfs"),
    (e: unknown) => e instanceof StuckMountError && e.alreadyStuck,
  );
  assert.equal(calls, 1);
  assert.deepEqual(guard.stuckMounts, ["/mnt/nfs"]);
  release();
  await blocked;
  await Promise.resolve();
  assert.deepEqual(guard.stuckMounts, []);
  assert.deepEqual(await guard.statfs("/mnt/nfs"), OK);
  assert.equal(calls, 2);
});

Deno.test("StatfsGuard: a stuck call that finally fails also releases the mount", async () => {
  let fail!: () => void;
  const blocked = new Promise<StatfsResult>((_, reject) => fail = () => reject(new Error("EIO")));
  const recovered: string[] = [];
  const guard = new StatfsGuard(() => blocked, 10, (m) => recovered.push(m));
  await assert.rejects(guard.statfs("/x"), StuckMountError);
  fail();
  await blocked.catch(() => {});
  await Promise.resolve();
  assert.deepEqual(recovered, ["/x"]);
});

import assert from "node:assert/strict";
import {
  ringCapacity,
  SNAPSHOT_RETENTION_MS,
  SnapshotRing,
} from "../../../shared/telemetry/snapshot.ts";
import { MB, snap, T0 } from "./fixtures.ts";

Deno.test("ringCapacity: 24 h at the interval, at least 2", () => {
  assert.equal(ringCapacity(30_000), 2880);
  assert.equal(ringCapacity(1_000), 86_400);
  assert.equal(ringCapacity(7_000), Math.ceil(SNAPSHOT_RETENTION_MS / 7_000));
  assert.equal(ringCapacity(10, 15), 2);
});

Deno.test("SnapshotRing: never holds more than its capacity, keeps the newest in order", () => {
  const ring = new SnapshotRing(3);
  for (let i = 0; i < 10; i++) ring.push(snap(T0 + i));
  assert.equal(ring.size, 3);
  assert.deepEqual(ring.toArray().map((s) => s.at - T0), [7, 8, 9]);
  assert.equal(ring.latest()!.at, T0 + 9);
});

Deno.test("SnapshotRing: 24 h of 30 s snapshots plus one more drops exactly the oldest", () => {
  const ring = new SnapshotRing(ringCapacity(30_000));
  for (let i = 0; i <= 2880; i++) ring.push(snap(T0 + i * 30_000));
  assert.equal(ring.size, 2880);
  assert.equal(ring.toArray()[0].at, T0 + 30_000);
});

Deno.test("SnapshotRing: peaks survive the eviction of their snapshot", () => {
  const ring = new SnapshotRing(2);
  ring.push(snap(T0, { rssBytes: 500 * MB, eventLoopLagMaxSeconds: 2 }));
  ring.push(snap(T0 + 1, { heapUsedBytes: 70 * MB }));
  ring.push(snap(T0 + 2));
  ring.push(snap(T0 + 3));
  const p = ring.peaks();
  assert.deepEqual(p.rssBytes, { value: 500 * MB, at: T0 });
  assert.deepEqual(p.heapUsedBytes, { value: 70 * MB, at: T0 + 1 });
  assert.deepEqual(p.eventLoopLagMaxSeconds, { value: 2, at: T0 });
  assert.ok(ring.toArray().every((s) => s.rssBytes === 100 * MB));
});

Deno.test("SnapshotRing: empty ring and unmeasured lag have null peaks", () => {
  const ring = new SnapshotRing(4);
  assert.equal(ring.latest(), null);
  assert.deepEqual(ring.toArray(), []);
  ring.push(snap(T0));
  assert.equal(ring.peaks().eventLoopLagMaxSeconds, null);
});

Deno.test("SnapshotRing: refuses a capacity that is not a positive integer", () => {
  assert.throws(() => new SnapshotRing(0), /positive integer/);
  assert.throws(() => new SnapshotRing(2.5), /positive integer/);
});

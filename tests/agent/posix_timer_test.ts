/**
 * The POSIX one-shot timer for real: libc through FFI, SIGALRM through Deno's signal
 * listener. Delays are lower bounds only (a POSIX timer never fires early); nothing here
 * asserts how fast anything is.
 */
import assert from "node:assert/strict";
import { AlarmClock } from "../../agent/alarm_clock.ts";
import { oneShotSpec, openPosixOneShot, threadSigevent } from "../../agent/posix_timer.ts";

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("oneShotSpec: seconds and nanoseconds of it_value, no interval, never zero", () => {
  assert.deepEqual([...oneShotSpec(10_000)], [0n, 0n, 10n, 0n]);
  assert.deepEqual([...oneShotSpec(1.5)], [0n, 0n, 0n, 1_500_000n]);
  assert.deepEqual([...oneShotSpec(2_345.000001)], [0n, 0n, 2n, 345_000_001n]);
  // A zero it_value would disarm the timer: "now" becomes one microsecond.
  assert.deepEqual([...oneShotSpec(0)], [0n, 0n, 0n, 1_000n]);
  assert.deepEqual([...oneShotSpec(-5)], [0n, 0n, 0n, 1_000n]);
});

Deno.test("threadSigevent: signal number, SIGEV_THREAD_ID and the thread id at their offsets", () => {
  const view = new DataView(threadSigevent(14, 4242).buffer);
  assert.equal(view.byteLength, 64);
  assert.equal(view.getInt32(8, true), 14);
  assert.equal(view.getInt32(12, true), 4); // SIGEV_THREAD_ID
  assert.equal(view.getInt32(16, true), 4242);
});

Deno.test("posix one-shot: fires once, not before its delay; re-arming replaces; disarm cancels", async () => {
  const { oneShot } = openPosixOneShot();
  const fired: number[] = [];
  const timer = oneShot(() => fired.push(performance.now()));
  try {
    let t0 = performance.now();
    timer.arm(40);
    while (fired.length === 0) await wait(5);
    assert.ok(fired[0] - t0 >= 39, `fired after ${fired[0] - t0} ms, armed for 40`);
    await wait(100);
    assert.equal(fired.length, 1, "one shot, not periodic");

    t0 = performance.now();
    timer.arm(60_000);
    timer.arm(30); // replaces the 60 s arming
    while (fired.length === 1) await wait(5);
    assert.ok(fired[1] - t0 >= 29);
    await wait(100);
    assert.equal(fired.length, 2);

    timer.arm(30);
    timer.disarm();
    await wait(150);
    assert.equal(fired.length, 2, "a disarmed timer does not fire");
  } finally {
    timer.close();
  }
});

Deno.test("posix one-shot under an AlarmClock: sleeps end, a cleared timeout never fires", async () => {
  const { oneShot } = openPosixOneShot();
  const clock = new AlarmClock(oneShot, () => performance.now());
  try {
    let timedOut = false;
    const id = clock.setTimeout(() => timedOut = true, 60);
    const t0 = performance.now();
    await clock.sleep(20);
    assert.ok(performance.now() - t0 >= 19);
    clock.clearTimeout(id);
    await wait(150);
    assert.equal(timedOut, false);
    assert.equal(clock.pending, 0);
  } finally {
    clock.close();
  }
});

Deno.test("posix one-shot: close deletes the timer before it lets go of SIGALRM", async () => {
  const { oneShot } = openPosixOneShot();
  const timer = oneShot(() => {});
  timer.arm(20);
  timer.close();
  // With its listener gone, Deno restores SIGALRM's default action (ending the process):
  // had close left the timer armed, this test run would die here.
  await wait(100);
  timer.arm(10); // closed: a no-op, not a signal
  await wait(50);
});

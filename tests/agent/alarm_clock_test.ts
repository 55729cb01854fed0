import assert from "node:assert/strict";
import { AlarmClock, DUE_SLACK_MS, type OneShotFactory } from "../../agent/alarm_clock.ts";

/** A one-shot timer that records what it was asked and fires only when the test says. */
class ManualOneShot {
  armed: number | null = null;
  arms: number[] = [];
  disarms = 0;
  closed = false;
  onFire: () => void = () => {};
  factory: OneShotFactory = (onFire) => {
    this.onFire = onFire;
    return {
      arm: (ms) => {
        this.armed = ms;
        this.arms.push(ms);
      },
      disarm: () => {
        this.armed = null;
        this.disarms++;
      },
      close: () => {
        this.closed = true;
      },
    };
  };
  /** The kernel's side: the timer went off. */
  fire(): void {
    this.armed = null;
    this.onFire();
  }
}

function setup() {
  let t = 1000;
  const timer = new ManualOneShot();
  const errors: unknown[] = [];
  const clock = new AlarmClock(timer.factory, () => t, (e) => errors.push(e));
  return {
    timer,
    clock,
    errors,
    advance: (ms: number) => t += ms,
  };
}

Deno.test("AlarmClock: one timeout arms the timer for its delay, runs when fired, then disarms", () => {
  const { timer, clock, advance } = setup();
  const ran: string[] = [];
  clock.setTimeout(() => ran.push("a"), 10_000);
  assert.equal(timer.armed, 10_000);
  advance(10_000);
  timer.fire();
  assert.deepEqual(ran, ["a"]);
  assert.equal(clock.pending, 0);
  assert.equal(timer.armed, null, "nothing left: the timer stays disarmed");
});

Deno.test("AlarmClock: several timeouts share the timer, earliest first, re-armed from now", () => {
  const { timer, clock, advance } = setup();
  const ran: string[] = [];
  clock.setTimeout(() => ran.push("late"), 10_000);
  clock.setTimeout(() => ran.push("early"), 3_000);
  assert.equal(timer.armed, 3_000, "re-armed for the earlier deadline");
  clock.setTimeout(() => ran.push("later"), 20_000);
  assert.deepEqual(timer.arms, [10_000, 3_000], "a later deadline does not touch the timer");
  advance(3_000);
  timer.fire();
  assert.deepEqual(ran, ["early"]);
  assert.equal(timer.armed, 7_000);
  advance(7_000);
  timer.fire();
  assert.deepEqual(ran, ["early", "late"]);
  assert.equal(timer.armed, 10_000);
});

Deno.test("AlarmClock: clearing costs no wake-up: the timer is re-armed for the next or disarmed", () => {
  const { timer, clock, advance } = setup();
  const ran: string[] = [];
  const request = clock.setTimeout(() => ran.push("request timeout"), 10_000);
  const tick = clock.setTimeout(() => ran.push("tick"), 9_990);
  assert.equal(timer.armed, 9_990);
  advance(5);
  clock.clearTimeout(tick);
  assert.equal(timer.armed, 9_995, "armed for the request timeout, from now");
  clock.clearTimeout(request);
  assert.equal(timer.armed, null);
  assert.equal(timer.disarms, 1);
  clock.clearTimeout(request); // twice: nothing happens
  assert.equal(timer.disarms, 1);
  assert.deepEqual(ran, []);
});

Deno.test("AlarmClock: a fire before any deadline (a stray SIGALRM) runs nothing and re-arms", () => {
  const { timer, clock, advance } = setup();
  const ran: string[] = [];
  clock.setTimeout(() => ran.push("a"), 10_000);
  advance(4_000);
  timer.fire();
  assert.deepEqual(ran, []);
  assert.equal(timer.armed, 6_000);
});

Deno.test("AlarmClock: a deadline within the slack runs in the wake-up at hand", () => {
  const { timer, clock, advance } = setup();
  const ran: string[] = [];
  clock.setTimeout(() => ran.push("a"), 100);
  clock.setTimeout(() => ran.push("b"), 100 + DUE_SLACK_MS / 2);
  clock.setTimeout(() => ran.push("c"), 100 + DUE_SLACK_MS * 5);
  advance(100);
  timer.fire();
  assert.deepEqual(ran, ["a", "b"]);
  assert.equal(timer.armed, DUE_SLACK_MS * 5);
});

Deno.test("AlarmClock: an interval keeps its period from its own deadlines and skips missed ones", () => {
  const { timer, clock, advance } = setup();
  let runs = 0;
  const id = clock.setInterval(() => runs++, 30_000);
  advance(30_002); // woken 2 ms late
  timer.fire();
  assert.equal(runs, 1);
  assert.equal(timer.armed, 29_998, "no drift: next at 60 000 from the start");
  advance(29_998 + 65_000); // the process was stopped for two periods
  timer.fire();
  assert.equal(runs, 2, "missed periods are skipped, not run in a burst");
  assert.equal(timer.armed, 25_000, "next at 120 000 from the start");
  clock.clearInterval(id);
  assert.equal(timer.armed, null);
  assert.throws(() => clock.setInterval(() => {}, 0), /interval must be positive/);
});

Deno.test("AlarmClock: a callback that clears another timer due in the same wake-up stops it", () => {
  const { timer, clock, advance } = setup();
  const ran: string[] = [];
  let second = 0;
  clock.setTimeout(() => {
    ran.push("first");
    clock.clearTimeout(second);
  }, 1_000);
  second = clock.setTimeout(() => ran.push("second"), 1_000);
  advance(1_000);
  timer.fire();
  assert.deepEqual(ran, ["first"]);
});

Deno.test("AlarmClock: timers set from inside a callback arm the timer once, after the callbacks", () => {
  const { timer, clock, advance } = setup();
  const ran: string[] = [];
  clock.setTimeout(() => {
    ran.push("a");
    clock.setTimeout(() => ran.push("b"), 500);
  }, 1_000);
  const before = timer.arms.length;
  advance(1_000);
  timer.fire();
  assert.deepEqual(timer.arms.slice(before), [500]);
  advance(500);
  timer.fire();
  assert.deepEqual(ran, ["a", "b"]);
});

Deno.test("AlarmClock: a throwing callback is reported and the others still run", () => {
  const { timer, clock, errors, advance } = setup();
  const ran: string[] = [];
  clock.setTimeout(() => {
    throw new Error("boom");
  }, 10);
  clock.setTimeout(() => ran.push("after"), 10);
  advance(10);
  timer.fire();
  assert.deepEqual(ran, ["after"]);
  assert.equal((errors[0] as Error).message, "boom");
});

Deno.test("AlarmClock: sleep resolves when due; an abort resolves it early and clears its timer", async () => {
  const { timer, clock, advance } = setup();
  let woke = false;
  const slept = clock.sleep(10_000).then(() => woke = true);
  assert.equal(timer.armed, 10_000);
  advance(10_000);
  timer.fire();
  await slept;
  assert.equal(woke, true);

  const stop = new AbortController();
  const cut = clock.sleep(10_000, stop.signal);
  stop.abort();
  await cut;
  assert.equal(clock.pending, 0);
  assert.equal(timer.armed, null);
  await clock.sleep(10_000, stop.signal); // already aborted: at once, no timer
  assert.equal(clock.pending, 0);
});

Deno.test("AlarmClock: close cancels everything and releases the timer", () => {
  const { timer, clock } = setup();
  clock.setTimeout(() => {}, 10);
  clock.close();
  assert.equal(clock.pending, 0);
  assert.equal(timer.closed, true);
});

Deno.test("AlarmClock: a timer with slack rides on an earlier wake-up, never later than its deadline", () => {
  const { timer, clock, advance } = setup();
  const ran: string[] = [];
  clock.setInterval(() => ran.push("tick"), 10_000);
  clock.setInterval(() => ran.push("snapshot"), 30_000, { slackMs: 15_000 });
  clock.setTimeout(() => ran.push("strict"), 25_000);
  advance(10_000);
  timer.fire();
  assert.deepEqual(ran, ["tick"], "30 s - 15 s slack is still ahead");
  advance(10_000);
  timer.fire();
  assert.deepEqual(ran, ["tick", "tick", "snapshot"], "due within its slack: runs now");
  assert.equal(timer.armed, 5_000, "the strict timeout keeps its own deadline");
  advance(5_000);
  timer.fire();
  assert.deepEqual(ran, ["tick", "tick", "snapshot", "strict"]);
  // The snapshot ran 10 s early; its next deadline still counts from its own (60 s).
  advance(5_000);
  timer.fire(); // 30 s: tick
  advance(10_000);
  timer.fire(); // 40 s: tick, and the snapshot (due 60 s, slack 15 s) waits
  advance(10_000);
  timer.fire(); // 50 s: tick + snapshot within slack
  assert.deepEqual(ran.slice(4), ["tick", "tick", "tick", "snapshot"]);
  assert.throws(() => clock.setInterval(() => {}, -1, { slackMs: 5 }), /positive/);
});

Deno.test("AlarmClock: slack is capped at half an interval and ignored when negative", () => {
  const { timer, clock, advance } = setup();
  let runs = 0;
  clock.setInterval(() => runs++, 1_000, { slackMs: 60_000 });
  clock.setTimeout(() => {}, 400); // a wake-up at 400 ms: 600 ms before the interval's deadline
  advance(400);
  timer.fire();
  assert.equal(runs, 0, "slack capped at 500 ms");
  clock.setTimeout(() => {}, 200, { slackMs: -50 });
  advance(200);
  timer.fire();
  assert.equal(runs, 1, "at 600 ms the interval is within its 500 ms slack");
});

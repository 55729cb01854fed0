import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { registerProcessMetrics } from "../../../shared/telemetry/process_metrics.ts";
import { lagRecordingSleep, TimerLagRecorder } from "../../../shared/telemetry/timer_lag.ts";

Deno.test("TimerLagRecorder: snapshot figures since the last sample, then reset", () => {
  const lag = new TimerLagRecorder();
  assert.equal(lag.sample(), null, "nothing recorded yet");
  for (const ms of [1, 2, 3, 4, 100]) lag.record(ms);
  assert.deepEqual(lag.sample(), { p99Seconds: 0.1, maxSeconds: 0.1, meanSeconds: 0.022 });
  assert.equal(lag.sample(), null, "the window was emptied");
});

Deno.test("TimerLagRecorder: scrapes and snapshots read separate windows", () => {
  const lag = new TimerLagRecorder();
  lag.record(10);
  lag.record(30);
  const scraped = lag.scrape()!;
  assert.equal(scraped.lastSeconds, 0.03);
  assert.equal(scraped.minSeconds, 0.01);
  assert.equal(scraped.maxSeconds, 0.03);
  assert.equal(scraped.meanSeconds, 0.02);
  assert.equal(scraped.stddevSeconds, 0.01);
  assert.equal(scraped.p50Seconds, 0.01);
  assert.equal(scraped.p99Seconds, 0.03);
  assert.equal(lag.scrape(), null);
  assert.equal(lag.sample()?.maxSeconds, 0.03, "the scrape did not erase the snapshot's window");
});

Deno.test("TimerLagRecorder: early timers count as 0, non-numbers are ignored, windows are bounded", () => {
  const lag = new TimerLagRecorder(3);
  lag.record(-5);
  lag.record(NaN);
  lag.record(Infinity);
  assert.deepEqual(lag.sample(), { p99Seconds: 0, maxSeconds: 0, meanSeconds: 0 });
  for (const ms of [1000, 1, 2, 3]) lag.record(ms);
  assert.equal(lag.sample()?.maxSeconds, 0.003, "only the newest 3 are kept");
  assert.throws(() => new TimerLagRecorder(0), /capacity must be a positive integer/);
});

Deno.test("lagRecordingSleep: records how late a full wait ended; an aborted wait is no measurement", async () => {
  const lag = new TimerLagRecorder();
  let clock = 1000;
  const sleep = lagRecordingSleep(
    (ms, signal) => {
      clock += signal?.aborted ? 1 : ms + 7; // the timer fires 7 ms late
      return Promise.resolve();
    },
    lag,
    () => clock,
  );
  await sleep(500);
  const aborted = new AbortController();
  aborted.abort();
  await sleep(500, aborted.signal);
  assert.deepEqual(lag.sample(), { p99Seconds: 0.007, maxSeconds: 0.007, meanSeconds: 0.007 });
});

Deno.test("process metrics with a timer-lag source: the nodejs_eventloop_lag_* gauges come from it", async () => {
  const registry = new Registry();
  const lag = new TimerLagRecorder();
  registerProcessMetrics(registry, {
    program: "agent",
    version: "1",
    runtimeVersion: "2.9.6",
    procFdReadable: false,
    gcProfiler: null,
    eventLoopLag: lag,
  });
  lag.record(4);
  lag.record(12);
  const text = await registry.metrics();
  assert.match(text, /^miniobserv_nodejs_eventloop_lag_seconds 0\.012$/m);
  assert.match(text, /^miniobserv_nodejs_eventloop_lag_min_seconds 0\.004$/m);
  assert.match(text, /^miniobserv_nodejs_eventloop_lag_max_seconds 0\.012$/m);
  assert.match(text, /^miniobserv_nodejs_eventloop_lag_mean_seconds 0\.008$/m);
  assert.match(text, /^miniobserv_nodejs_eventloop_lag_p99_seconds 0\.012$/m);
  assert.equal(lag.scrape(), null, "the scrape read (and reset) the window");
});

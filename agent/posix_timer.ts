/**
 * A one-shot timer for the AlarmClock (alarm_clock.ts) made of a POSIX timer: libc's
 * `timer_create(CLOCK_MONOTONIC)` through FFI, delivering SIGALRM to the main thread only
 * (`SIGEV_THREAD_ID`), received with `Deno.addSignalListener`.
 *
 * Why not a web timer: the kernel fires this timer once, at its deadline; Deno's timers
 * wake the process early to move a far deadline through tokio's timer wheel, and a cleared
 * one still wakes it (see alarm_clock.ts). Re-arming and disarming are one system call.
 *
 * Safety:
 * - The SIGALRM listener is installed before the timer exists: SIGALRM's default action
 *   ends the process. Deno installs its handler with SA_RESTART, so the system calls the
 *   signal lands in (epoll_wait, a file write) are restarted or retried as usual.
 * - The signal goes to the main thread alone, never to a pool thread blocked in a statfs.
 * - A SIGALRM from elsewhere (`kill -ALRM`) only makes the clock look for due timers.
 * - `close` deletes the timer first and then removes the listener (after which Deno restores
 *   SIGALRM's default action): no signal of this timer can arrive after that.
 * - A signal listener does not keep Deno's event loop alive, so while the timer is armed a
 *   web timer that is never due (12 days) does: the process never ends for want of work
 *   while it sleeps. Being far, that timer costs no wake-ups of its own.
 *
 * Layouts read (64-bit Linux, glibc and musl alike): `struct sigevent` is 64 bytes:
 * sigev_value (8), sigev_signo (int at 8), sigev_notify (int at 12), and the thread id
 * (int at 16) for SIGEV_THREAD_ID; `timer_t` is a pointer; `struct itimerspec` is
 * { it_interval, it_value }, each { tv_sec, tv_nsec } of 64-bit integers.
 */
import { openLibc } from "./libc.ts";
import type { OneShotFactory } from "./alarm_clock.ts";

const CLOCK_MONOTONIC = 1;
const SIGALRM = 14;
const SIGEV_THREAD_ID = 4;
const SIGEVENT_SIZE = 64;
/** The keep-alive timer's delay: far beyond any deadline, within setTimeout's range. */
const KEEP_ALIVE_MS = 2 ** 30;

const SYMBOLS = {
  timer_create: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  timer_settime: { parameters: ["pointer", "i32", "buffer", "buffer"], result: "i32" },
  timer_delete: { parameters: ["pointer"], result: "i32" },
  gettid: { parameters: [], result: "i32" },
} as const;

/**
 * The `struct itimerspec` of a one-shot timer due in `delayMs` (at least 1 µs: a zero
 * it_value would disarm it instead).
 */
export function oneShotSpec(delayMs: number): BigInt64Array {
  const ns = Math.max(1000, Math.ceil(Math.max(0, delayMs) * 1e6));
  const spec = new BigInt64Array(4); // it_interval = 0: no repeat
  spec[2] = BigInt(Math.floor(ns / 1e9));
  spec[3] = BigInt(ns % 1e9);
  return spec;
}

/** The `struct sigevent` sending `signo` to thread `tid`. */
export function threadSigevent(signo: number, tid: number): Uint8Array {
  const event = new Uint8Array(SIGEVENT_SIZE);
  const view = new DataView(event.buffer);
  view.setInt32(8, signo, true);
  view.setInt32(12, SIGEV_THREAD_ID, true);
  view.setInt32(16, tid, true);
  return event;
}

/**
 * Opens libc and returns a OneShotFactory of POSIX timers on the calling (main) thread;
 * throws when libc or the calls are unavailable, so the caller can fall back to
 * `webOneShot`. Each timer made holds a SIGALRM listener until it is closed.
 */
export function openPosixOneShot(): { oneShot: OneShotFactory; libraryPath: string } {
  const { lib, path } = openLibc(SYMBOLS);
  const oneShot: OneShotFactory = (onFire) => {
    // First the listener: an unhandled SIGALRM would end the process.
    const listener = () => onFire();
    Deno.addSignalListener("SIGALRM", listener);
    const idBuffer = new BigUint64Array(1);
    const tid = lib.symbols.gettid();
    if (
      lib.symbols.timer_create(
        CLOCK_MONOTONIC,
        threadSigevent(SIGALRM, tid),
        new Uint8Array(idBuffer.buffer),
      ) !== 0
    ) {
      Deno.removeSignalListener("SIGALRM", listener);
      throw new Error("timer_create(CLOCK_MONOTONIC, SIGEV_THREAD_ID) failed");
    }
    const timer = Deno.UnsafePointer.create(idBuffer[0]);
    let closed = false;
    let keepAlive: ReturnType<typeof setTimeout> | undefined;
    const holdProcess = (hold: boolean) => {
      if (hold && keepAlive === undefined) {
        keepAlive = setTimeout(() => {
          keepAlive = undefined;
          holdProcess(true);
        }, KEEP_ALIVE_MS);
      } else if (!hold && keepAlive !== undefined) {
        clearTimeout(keepAlive);
        keepAlive = undefined;
      }
    };
    const set = (spec: BigInt64Array) => {
      if (closed) return;
      if (lib.symbols.timer_settime(timer, 0, new Uint8Array(spec.buffer), null) !== 0) {
        throw new Error("timer_settime failed");
      }
    };
    return {
      arm(delayMs) {
        set(oneShotSpec(delayMs));
        holdProcess(!closed);
      },
      disarm() {
        set(new BigInt64Array(4));
        holdProcess(false);
      },
      close() {
        if (closed) return;
        closed = true;
        holdProcess(false);
        lib.symbols.timer_delete(timer);
        Deno.removeSignalListener("SIGALRM", listener);
      },
    };
  };
  return { oneShot, libraryPath: path };
}

/**
 * Watches the size of a tailed file through logrotate's copytruncate, from a worker thread, so
 * that the size the file had just before the truncation is known: bytes an appending writer adds
 * after the copy is complete and before the truncate are in no file, and that size is the only
 * trace of them.
 *
 * A sampling starts when a copy of the file is seen appearing (see the tailer). The worker then
 * fstats the file every 0.1 ms (`Atomics.wait` of 5 µs: the shortest sleep, 90 to 120 µs
 * measured) until it shrinks (the truncation), and reports the largest size before the shrink.
 * While the copy is still more than `NEAR_BYTES` behind the file, once a millisecond: the window
 * opens only once the copy is complete. It gives up when the copy has not grown for `COPY_IDLE_MS`
 * (a plain copy, no truncation) or after `SAMPLE_MAX_MS`, and at once when the copy is already
 * larger than the file (the truncation came first).
 *
 * Why a worker, and why this way (measured with logrotate every 0.5 s on a file written 100
 * times a second; its copy-to-truncate window lasted 0.4 to 7 ms, median 0.7 ms):
 * - The main thread reads and parses, and the watch events of the written file queue behind the
 *   copy's own: from events alone a third to two fifths of the lost bytes were seen.
 * - Sampling back to back (2 µs apart) saw more, but took a CPU from logrotate: on two CPUs its
 *   truncate came later, and three times as many lines were lost. A sleep between samples
 *   leaves the CPU to it.
 * - A message to a worker takes 0.3 ms or more to arrive (10 ms for the first one); the worker
 *   is started with the watch and waits for samplings in `Atomics.wait` on shared memory,
 *   woken by `Atomics.notify` (0.1 ms). The wait is bounded (100 ms) and there is a stop flag:
 *   Deno's `terminate()` does not end a worker blocked in `Atomics.wait`, and the process would
 *   never exit.
 * - Its code comes from a Blob URL: no module file to ship with a compiled agent.
 *
 * @example
 * ```ts
 * const sampler = new SizeSampler((id, size) => bySampling.get(id)!.unverifiedSize = size);
 * sampler.start(1, "/var/log/app.log", 1234, "/var/log/app.log.1");
 * await sampler.settle(1, 100); // its last report, if it is still sampling
 * sampler.close();
 * ```
 */

/** Longest sampling of one file (a copy of a file of several GiB may take this long). */
export const SAMPLE_MAX_MS = 5000;
/** The worker samples every 0.1 ms once the copy is within this many bytes of the file. */
export const NEAR_BYTES = 1024 * 1024;
/** A sampling ends when the copy has not grown for this long (no truncation came: a plain copy). */
export const COPY_IDLE_MS = 1000;
/** Requests waiting for the worker, at most. */
const SLOTS = 8;
/** Bytes of one request: id, lengths, inode, then the two paths. */
const SLOT_BYTES = 8192;
const SLOT_HEADER = 24;

// ctrl: [0] requests written, [1] requests taken, [2] stop.
const WORKER_SOURCE = `
const SAMPLE_MAX_MS = ${SAMPLE_MAX_MS};
const NEAR_BYTES = ${NEAR_BYTES};
const COPY_IDLE_MS = ${COPY_IDLE_MS};
const SLOTS = ${SLOTS};
const SLOT_BYTES = ${SLOT_BYTES};
const SLOT_HEADER = ${SLOT_HEADER};
const dec = new TextDecoder();
const sessions = new Map();
let ctrl, view, bytes;

function finish(id, s, report) {
  sessions.delete(id);
  try { s.file.close(); } catch { /* closed */ }
  self.postMessage({ id, size: report ? s.max : 0, done: true });
}

function copySize(path) {
  try { return Deno.statSync(path).size; } catch { return -1; }
}

function begin(id, path, ino, copy) {
  let file;
  try {
    file = Deno.openSync(path, { read: true });
    const st = file.statSync();
    const copied = copySize(copy);
    // Another file at the path, or the copy already larger: the truncation came first.
    if (st.ino !== ino || copied > st.size) throw new Error("too late");
    const now = performance.now();
    sessions.set(id, {
      file, copy, last: st.size, max: st.size, copyDone: false, copyLast: copied,
      copyChangedAt: now, copyCheckedAt: now, until: now + SAMPLE_MAX_MS, reportedAt: now,
    });
  } catch {
    try { file?.close(); } catch { /* closed */ }
    self.postMessage({ id, size: 0, done: true });
  }
}

function takeRequests() {
  const written = Atomics.load(ctrl, 0);
  for (let taken = Atomics.load(ctrl, 1); taken < written; taken++) {
    const off = (taken % SLOTS) * SLOT_BYTES;
    const id = view.getUint32(off, true);
    const pathLen = view.getUint32(off + 4, true);
    const copyLen = view.getUint32(off + 8, true);
    const ino = view.getFloat64(off + 16, true);
    const at = off + SLOT_HEADER;
    const path = dec.decode(bytes.slice(at, at + pathLen));
    const copy = dec.decode(bytes.slice(at + pathLen, at + pathLen + copyLen));
    Atomics.store(ctrl, 1, taken + 1);
    begin(id, path, ino, copy);
  }
}

/** One look at every file sampled; true when one of them may be in its window. */
function step() {
  let near = false;
  const now = performance.now();
  for (const [id, s] of sessions) {
    let size;
    try {
      size = s.file.statSync().size;
    } catch {
      finish(id, s, true);
      continue;
    }
    if (size < s.last) {
      // Truncated: s.max is the size it had just before.
      finish(id, s, true);
      continue;
    }
    s.last = size;
    if (size > s.max) {
      s.max = size;
      if (now - s.reportedAt >= 1) {
        s.reportedAt = now;
        self.postMessage({ id, size, done: false });
      }
    }
    if (!s.copyDone || now - s.copyCheckedAt >= 1) {
      s.copyCheckedAt = now;
      const copied = copySize(s.copy);
      if (copied !== s.copyLast) {
        s.copyLast = copied;
        s.copyChangedAt = now;
      }
      if (copied < 0 || copied + NEAR_BYTES >= size) s.copyDone = true;
    }
    if (now > s.until || (s.copyDone && now - s.copyChangedAt > COPY_IDLE_MS)) {
      finish(id, s, true);
      continue;
    }
    if (s.copyDone) near = true;
  }
  return near;
}

self.onmessage = (e) => {
  ctrl = new Int32Array(e.data.ctrl);
  bytes = new Uint8Array(e.data.data);
  view = new DataView(e.data.data);
  while (Atomics.load(ctrl, 2) === 0) {
    const written = Atomics.load(ctrl, 0);
    if (written !== Atomics.load(ctrl, 1)) takeRequests();
    if (sessions.size === 0) Atomics.wait(ctrl, 0, written, 100);
    else Atomics.wait(ctrl, 0, written, step() ? 0.005 : 1);
  }
  for (const [id, s] of sessions) finish(id, s, false);
  self.close();
};
`;

interface Report {
  id: number;
  size: number;
  done: boolean;
}

const encoder = new TextEncoder();

/** Samples sizes through a copytruncate from a worker; see the module comment. */
export class SizeSampler {
  readonly #worker: Worker;
  readonly #url: string;
  readonly #ctrl: Int32Array;
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #active = new Map<number, PromiseWithResolvers<void>>();
  #closed = false;

  /**
   * Starts the worker. `onSize(id, size)`: a size the file of sampling `id` had (larger than any
   * reported before); `onDone(id)`: sampling `id` is over.
   */
  constructor(
    private readonly onSize: (id: number, size: number) => void,
    private readonly onDone: (id: number) => void = () => {},
  ) {
    const ctrl = new SharedArrayBuffer(16);
    const data = new SharedArrayBuffer(SLOTS * SLOT_BYTES);
    this.#ctrl = new Int32Array(ctrl);
    this.#bytes = new Uint8Array(data);
    this.#view = new DataView(data);
    this.#url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
    this.#worker = new Worker(this.#url, { type: "module" });
    this.#worker.onmessage = (e: MessageEvent<Report>) => {
      const { id, size, done } = e.data;
      if (size > 0) this.onSize(id, size);
      if (done) this.#end(id);
    };
    this.#worker.onerror = (e) => {
      // A sampler that fails costs only its samplings; the tailer goes on without them.
      e.preventDefault();
      this.close();
    };
    this.#worker.postMessage({ ctrl, data });
  }

  /**
   * Samples the file at `path` (inode `ino`) while `copy` is being made of it; false when it
   * cannot (closed, too many waiting, paths too long).
   */
  start(id: number, path: string, ino: number, copy: string): boolean {
    if (this.#closed || this.#active.has(id)) return false;
    const p = encoder.encode(path);
    const c = encoder.encode(copy);
    if (SLOT_HEADER + p.length + c.length > SLOT_BYTES) return false;
    const written = Atomics.load(this.#ctrl, 0);
    if (written - Atomics.load(this.#ctrl, 1) >= SLOTS) return false;
    const off = (written % SLOTS) * SLOT_BYTES;
    this.#view.setUint32(off, id, true);
    this.#view.setUint32(off + 4, p.length, true);
    this.#view.setUint32(off + 8, c.length, true);
    this.#view.setFloat64(off + 16, ino, true);
    this.#bytes.set(p, off + SLOT_HEADER);
    this.#bytes.set(c, off + SLOT_HEADER + p.length);
    this.#active.set(id, Promise.withResolvers<void>());
    Atomics.store(this.#ctrl, 0, written + 1);
    Atomics.notify(this.#ctrl, 0);
    return true;
  }

  /** Resolves once the sampling of `id` has reported its last size (or after `ms`). */
  async settle(id: number, ms: number): Promise<void> {
    const done = this.#active.get(id);
    if (!done) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      done.promise,
      new Promise<void>((r) => timer = setTimeout(r, ms)),
    ]);
    clearTimeout(timer);
  }

  /** Stops the worker; samplings in progress end without a report. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    Atomics.store(this.#ctrl, 2, 1);
    Atomics.notify(this.#ctrl, 0);
    this.#worker.terminate();
    URL.revokeObjectURL(this.#url);
    for (const id of [...this.#active.keys()]) this.#end(id);
  }

  #end(id: number): void {
    const d = this.#active.get(id);
    if (!d) return;
    this.#active.delete(id);
    d.resolve();
    this.onDone(id);
  }
}

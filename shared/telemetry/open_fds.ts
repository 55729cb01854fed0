/**
 * Open file descriptors and their limit for a program that may not read `/proc/self/fd`: the
 * server. Deno (checked on 2.9.6) refuses every read of `/proc/self/fd`, `/proc/<pid>/fd`,
 * `/proc/self/limits` and `/dev/fd` without `--allow-all`, so prom-client's `process_open_fds`
 * and `process_max_fds` cannot work in the sandboxed server. It may run two programs instead
 * (`--allow-run=ls,getconf`), which read what Deno keeps from it:
 *
 * - `ls -l /proc/<pid>/fd /proc/self/fd` lists the server's descriptors (the OS lets a process
 *   of the same user list them; ls is not the server, so it needs its pid, not `self`). While ls
 *   runs, the server holds descriptors that exist only for that run: the read ends of ls's
 *   stdout and stderr pipes (for a moment their write ends too) and a pidfd for the child —
 *   2 to 5 more than at rest on Deno 2.9.6, depending on timing, so the raw count is off and
 *   jitters. Hence the long listing and ls's own `/proc/self/fd`: entries pointing at the pipes
 *   of ls's stdout and stderr are left out, one `anon_inode:[pidfd]`, and entries closed while
 *   ls listed them. Stdin is inherited, not "null", which would open a `/dev/null` in the
 *   server that no listing can tell from the server's own `/dev/null` descriptors. What
 *   remains equals prom-client's `/proc/self/fd` count on the same process (measured 1,200
 *   times under load: equal every time but once, one more — a socket Deno's spawn holds for an
 *   instant; tests/shared/telemetry/open_fds_test.ts compares them).
 * - `getconf OPEN_MAX` prints `sysconf(_SC_OPEN_MAX)`: the soft `RLIMIT_NOFILE`, which a child
 *   inherits, so the server's own limit — what prom-client reads from "Max open files" in
 *   `/proc/self/limits` (also once: a limit does not change by itself). Read once, cached.
 *
 * Why these two programs and no other: they print and do nothing else. Debian's `ls`
 * (coreutils) and `getconf` (libc-bin, glibc 2.36) import no exec, fork or spawn function;
 * neither writes a file; ls only lists (file names, link targets, metadata — the server may
 * read the whole file system but `/proc` anyway), getconf reads no file at all. Rejected:
 * `prlimit` (util-linux, on every Debian) runs any command it is given (`prlimit --nofile=N sh
 * -c …`), so allowing it allows everything, and it changes other processes' limits; `cat
 * /proc/<pid>/limits` would work but cat reads every other `/proc` file too (`environ` of the
 * user's other processes), exactly what Deno withholds; a shell (`ulimit -n`) runs anything.
 * As with any `--allow-run`, the child runs outside Deno's sandbox with an environment the
 * caller picks (Deno 2.9.6 refuses only `LD_*`/`DYLD_*`), so the OS stays the outer boundary.
 *
 * Cost: one ls per scrape at most (a scrape every 15 s); the count is cached for `cacheMs`
 * (1 s) and a listing in flight is shared, so parallel scrapes and snapshots spawn once.
 * A failure (program missing or not permitted, a non-zero exit but ls's 1, unexpected output)
 * leaves the metric out of that scrape — never fails it — and is reported once per metric
 * through `onError`.
 */
import { Gauge, type Registry } from "./prom.ts";
import { METRIC_PREFIX } from "./names.ts";
import { FD_UNAVAILABLE, type ProcessMetrics } from "./process_metrics.ts";

/** What a program printed and how it ended. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `program` with `args` and waits for it; rejects when it cannot be started. */
export type CommandRunner = (program: string, args: readonly string[]) => Promise<CommandResult>;

/**
 * Runs a program with `Deno.Command`: stdin inherited (see the module comment: "null" would
 * add a descriptor to the count), stdout and stderr piped, and an environment of `LC_ALL=C`
 * only (plain output, and none of the server's secrets handed to a child).
 */
export const runCommand: CommandRunner = async (program, args) => {
  const out = await new Deno.Command(program, {
    args: [...args],
    stdin: "inherit",
    stdout: "piped",
    stderr: "piped",
    clearEnv: true,
    env: { LC_ALL: "C" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
};

/** Whether Deno lets this process run `program` (`--allow-run=<program>` or more). */
export function runPermitted(program: string): boolean {
  return Deno.permissions.querySync({ name: "run", command: program }).state === "granted";
}

/** The arguments of `ls` that list `pid`'s descriptors and ls's own. */
export function lsFdArgs(pid: number): string[] {
  return ["-l", `/proc/${pid}/fd`, "/proc/self/fd"];
}

/** `ls -l` output of several directories: directory → entry name → link target. */
function parseListing(text: string): Map<string, Map<string, string>> {
  const dirs = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("/") && line.endsWith(":")) {
      current = new Map();
      dirs.set(line.slice(0, -1), current);
      continue;
    }
    // Entries of a fd directory are symbolic links ("lrwx------ …"); "total 0" and blank
    // lines are not. An entry closed between readdir and lstat shows as "l?????????" without
    // a target (ls then exits 1): closed, so not counted (mostly a pipe end of this very run).
    if (!current || !line.startsWith("l")) continue;
    const arrow = line.indexOf(" -> ");
    const head = arrow < 0 ? line : line.slice(0, arrow);
    const name = head.trimEnd().split(/\s+/).at(-1) ?? "";
    if (arrow >= 0) current.set(name, line.slice(arrow + 4));
  }
  return dirs;
}

/**
 * `pid`'s open descriptors in the output of `ls -l /proc/<pid>/fd /proc/self/fd`, leaving
 * out those that exist only because ls runs: the server's ends of the pipes that are ls's
 * stdout and stderr, and one pidfd. Throws on output without both directories.
 */
export function countOpenFds(listing: string, pid: number): number {
  const dirs = parseListing(listing);
  const target = dirs.get(`/proc/${pid}/fd`);
  const own = dirs.get("/proc/self/fd");
  if (!target || !own) {
    throw new Error(`unexpected ls output: ${JSON.stringify(listing.slice(0, 200))}`);
  }
  const lsPipes = new Set<string>();
  for (const fd of ["1", "2"]) {
    const t = own.get(fd);
    if (t?.startsWith("pipe:")) lsPipes.add(t);
  }
  let count = 0;
  let pidfdSkipped = false;
  for (const t of target.values()) {
    if (lsPipes.has(t)) continue;
    if (t === "anon_inode:[pidfd]" && !pidfdSkipped) {
      pidfdSkipped = true;
      continue;
    }
    count++;
  }
  return count;
}

/** The limit `getconf OPEN_MAX` printed; throws on anything but a whole number. */
export function parseOpenMax(stdout: string): number {
  const s = stdout.trim();
  if (!/^\d+$/.test(s)) throw new Error(`getconf OPEN_MAX printed ${JSON.stringify(s)}`);
  return Number(s);
}

/** Descriptor figures for the `process_open_fds` / `process_max_fds` gauges. */
export interface FdReader {
  /** Open descriptors now, or null when they could not be counted this time. */
  openFds(): Promise<number | null>;
  /** The descriptor limit, or null this time; absent when it cannot be read at all. */
  maxFds?: () => Promise<number | null>;
}

/** The two metrics, as the `onError` of `CommandFdReader` names them. */
export type FdMetric = "process_open_fds" | "process_max_fds";

/** Options of `CommandFdReader`. */
export interface CommandFdReaderOptions {
  /** The process whose descriptors are counted (`Deno.pid`). */
  pid: number;
  /** Default `runCommand` (Deno.Command). */
  run?: CommandRunner;
  /** Default `Date.now`. */
  now?: () => number;
  /** How long a count (or a failure) is reused; default 1 s. */
  cacheMs?: number;
  /** Whether `getconf` may be run; without it there is no `maxFds`. Default true. */
  readMax?: boolean;
  /** Told about the first failure of each metric (later ones are only left out). */
  onError?: (metric: FdMetric, error: Error) => void;
}

/** Counts descriptors with `ls` and reads the limit with `getconf`; see the module comment. */
export class CommandFdReader implements FdReader {
  readonly maxFds?: () => Promise<number | null>;
  #o: CommandFdReaderOptions;
  #run: CommandRunner;
  #now: () => number;
  #cacheMs: number;
  #warned = new Set<FdMetric>();
  #last: { at: number; value: number | null } | null = null;
  #inFlight: Promise<number | null> | null = null;
  #max: { at: number; value: number | null } | null = null;
  #maxInFlight: Promise<number | null> | null = null;
  #spawns: Promise<unknown> = Promise.resolve();

  constructor(o: CommandFdReaderOptions) {
    this.#o = o;
    this.#run = o.run ?? runCommand;
    this.#now = o.now ?? Date.now;
    this.#cacheMs = o.cacheMs ?? 1_000;
    if (o.readMax ?? true) this.maxFds = () => this.#readMax();
  }

  openFds(): Promise<number | null> {
    if (this.#inFlight) return this.#inFlight;
    if (this.#last && this.#now() - this.#last.at < this.#cacheMs) {
      return Promise.resolve(this.#last.value);
    }
    this.#inFlight = this.#attempt("process_open_fds", async () => {
      const r = await this.#serial(() => this.#run("ls", lsFdArgs(this.#o.pid)));
      // ls exits 1 for "minor problems": a descriptor closed between listing and lstat.
      // The listing is still whole; anything worse (2: a directory unreadable) is an error.
      if (r.code !== 0 && r.code !== 1) throw exitError("ls", r);
      return countOpenFds(r.stdout, this.#o.pid);
    }).then((value) => {
      this.#last = { at: this.#now(), value };
      this.#inFlight = null;
      return value;
    });
    return this.#inFlight;
  }

  #readMax(): Promise<number | null> {
    if (this.#maxInFlight) return this.#maxInFlight;
    // A limit read is kept for good; a failure only for `cacheMs`, then tried again.
    if (this.#max && (this.#max.value !== null || this.#now() - this.#max.at < this.#cacheMs)) {
      return Promise.resolve(this.#max.value);
    }
    this.#maxInFlight = this.#attempt("process_max_fds", async () => {
      const r = await this.#serial(() => this.#run("getconf", ["OPEN_MAX"]));
      if (r.code !== 0) throw exitError("getconf", r);
      return parseOpenMax(r.stdout);
    }).then((value) => {
      this.#max = { at: this.#now(), value };
      this.#maxInFlight = null;
      return value;
    });
    return this.#maxInFlight;
  }

  /**
   * One program at a time: ls would count the pipes and pidfd of a getconf running beside it
   * (the first scrape reads both gauges at once).
   */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#spawns.then(fn, fn);
    this.#spawns = next.catch(() => {});
    return next;
  }

  async #attempt(metric: FdMetric, fn: () => Promise<number>): Promise<number | null> {
    try {
      return await fn();
    } catch (e) {
      if (!this.#warned.has(metric)) {
        this.#warned.add(metric);
        this.#o.onError?.(metric, e instanceof Error ? e : new Error(String(e)));
      }
      return null;
    }
  }
}

function exitError(program: string, r: CommandResult): Error {
  const said = r.stderr.trim().split("\n")[0] ?? "";
  return new Error(`${program} exited with ${r.code}${said ? `: ${said}` : ""}`);
}

/** Options of `createFdReader`. */
export interface FdReaderOptions extends Omit<CommandFdReaderOptions, "readMax"> {
  /** Whether a program may be run; default `runPermitted` (Deno's permission state). */
  canRun?: (program: string) => boolean;
}

/**
 * The reader for a program that cannot read `/proc/self/fd`: null when `ls` may not be run,
 * without `maxFds` when `getconf` may not be.
 */
export function createFdReader(o: FdReaderOptions): CommandFdReader | null {
  const canRun = o.canRun ?? runPermitted;
  if (!canRun("ls")) return null;
  return new CommandFdReader({ ...o, readMax: canRun("getconf") });
}

/** Help texts of prom-client's gauges of the same names. */
const HELP: Record<FdMetric, string> = {
  process_open_fds: "Number of open file descriptors.",
  process_max_fds: "Maximum number of open file descriptors.",
};

/**
 * Registers `<prefix>process_open_fds` (and `<prefix>process_max_fds` when `reader` has it)
 * read from `reader` at each scrape: prom-client's names, help and type. A scrape where the
 * reader gives null has the family without a sample (a plain Gauge would say 0).
 */
export function registerFdGauges(registry: Registry, reader: FdReader, prefix: string): void {
  optionalGauge(registry, prefix, "process_open_fds", () => reader.openFds());
  if (reader.maxFds) optionalGauge(registry, prefix, "process_max_fds", reader.maxFds);
}

function optionalGauge(
  registry: Registry,
  prefix: string,
  metric: FdMetric,
  read: () => Promise<number | null>,
): void {
  let missing = false;
  const OptionalGauge = class extends Gauge {
    override async get() {
      const m = await super.get();
      return missing ? { ...m, values: [] } : m;
    }
  };
  new OptionalGauge({
    name: prefix + metric,
    help: HELP[metric],
    registers: [registry],
    async collect() {
      const value = await read();
      missing = value === null;
      if (value !== null) this.set(value);
    },
  });
}

/** The `unavailable` entry when descriptors are counted but `getconf` may not be run. */
export const MAX_FDS_UNAVAILABLE =
  "process_max_fds: `getconf` may not be run (--allow-run=ls,getconf)";

/**
 * For a program whose process metrics were registered without `/proc/self/fd`
 * (`procFdReadable` false): registers the descriptor gauges from `reader` under
 * `METRIC_PREFIX` and takes them off `proc.unavailable` (the report reads that list).
 * Does nothing when the gauges are registered already (prom-client's, from `/proc/self/fd`).
 */
export function registerFdFallback(
  registry: Registry,
  proc: Pick<ProcessMetrics, "unavailable">,
  reader: FdReader,
): void {
  if (registry.getSingleMetric(`${METRIC_PREFIX}process_open_fds`)) return;
  registerFdGauges(registry, reader, METRIC_PREFIX);
  const i = proc.unavailable.indexOf(FD_UNAVAILABLE);
  const still = reader.maxFds ? [] : [MAX_FDS_UNAVAILABLE];
  if (i >= 0) proc.unavailable.splice(i, 1, ...still);
  else proc.unavailable.push(...still);
}

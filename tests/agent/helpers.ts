/** Shared test helpers for the agent: fixtures, a fake /proc, a fake clock, a captured log. */
import { createLogger, type Logger } from "../../shared/log.ts";

const FIXTURES = new URL("../fixtures/proc/", import.meta.url);

/** The text of a fixture under tests/fixtures/proc (e.g. `vm/stat.1`, `edge/mountinfo_edge`). */
export function fixture(relative: string): string {
  return Deno.readTextFileSync(new URL(relative, FIXTURES));
}

/** An in-memory /proc: `readFile` serves what was `set`, and fails like the OS otherwise. */
export class FakeProc {
  readonly files = new Map<string, string>();
  readonly reads: string[] = [];

  /** Sets the content of one path; returns this for chaining. */
  set(path: string, text: string): this {
    this.files.set(path, text);
    return this;
  }

  /** A ReadTextFile over the map. */
  readFile = (path: string): Promise<string> => {
    this.reads.push(path);
    const text = this.files.get(path);
    if (text === undefined) {
      return Promise.reject(new Deno.errors.NotFound(`No such file or directory: ${path}`));
    }
    return Promise.resolve(text);
  };
}

/** A clock that moves only when told. */
export class FakeClock {
  constructor(public ms = Date.UTC(2024, 0, 1, 12, 0, 0)) {}
  now = (): number => this.ms;
  /** Moves the clock forward. */
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** A logger at debug level whose parsed lines are kept for assertions; `now` stamps them. */
export function capturedLogger(
  now: () => number = Date.now,
): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger("debug", (line) => lines.push(JSON.parse(line)), now);
  return { logger, lines };
}

/** The metrics as `name{labels}` → value, for compact exact assertions. */
export function byKey(
  metrics: ReadonlyArray<{ name: string; value: number; labels: Record<string, string> }>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of metrics) {
    const labels = Object.entries(m.labels).map(([k, v]) => `${k}=${v}`).join(",");
    out[`${m.name}{${labels}}`] = m.value;
  }
  return out;
}

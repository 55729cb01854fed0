/**
 * What every `/proc` parser shares: its error, and the pieces of its strict line-by-line path.
 *
 * Every parser has two paths. The agent runs `--jitless`, where each JavaScript bytecode is
 * interpreted and costs far more than the native builtins it calls, so the path taken on every
 * tick is a fast one: one sticky (`y`) regular expression run over the whole text, matching and
 * validating one whole line per `exec`, with as little JavaScript per line as possible. It
 * accepts only the plain layout the kernel prints and returns null on anything else (a blank
 * line, a tab, a missing final newline, a malformed line). The parser then runs its strict
 * line-by-line path, which accepts the same files it always did and throws the ProcParseError
 * naming the bad line. Whatever the fast path accepts, the strict path parses to the same result.
 */

/** The error every `/proc` parser throws: the message names the line and what is wrong with it. */
export class ProcParseError extends Error {}

/** Builds a ProcParseError naming a 1-based line number and the line itself. */
export function lineError(lineNo: number, line: string, problem: string): ProcParseError {
  const shown = line.length > 120 ? `${line.slice(0, 120)}…` : line;
  return new ProcParseError(`line ${lineNo} (${JSON.stringify(shown)}): ${problem}`);
}

/** Parses a non-negative decimal counter, as the kernel prints it; throws naming `what`. */
export function parseCounter(token: string | undefined, what: string): number {
  if (token === undefined || !/^\d+$/.test(token)) {
    throw new ProcParseError(
      `${what} is ${token === undefined ? "missing" : "not a whole number"}`,
    );
  }
  return Number(token);
}

/** Splits text into trimmed, non-empty lines paired with their 1-based line numbers. */
export function numberedLines(text: string): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line.length > 0) out.push([i + 1, line]);
  }
  return out;
}

/** Runs `fn` for one line, re-throwing a ProcParseError that names the line. */
export function onLine<T>(lineNo: number, line: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw lineError(lineNo, line, (e as Error).message);
  }
}

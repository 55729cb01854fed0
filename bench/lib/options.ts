/** Command-line option values of the benchmarks. */

/** `text` as a positive integer (`fallback` when the option was not given); throws otherwise. */
export function positiveInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`--${name} must be a positive integer, got ${JSON.stringify(text)}`);
  }
  return n;
}

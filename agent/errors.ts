/** Small helpers for carrying context on errors (`cpu: reading /proc/stat: …`). */

/** The message of anything thrown. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Runs `fn`, prefixing the message of anything it throws with `context`. */
export async function withContext<T>(context: string, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw new Error(`${context}: ${errorMessage(e)}`, { cause: e });
  }
}

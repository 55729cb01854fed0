/** Small helpers for carrying context on errors (`cpu: reading /proc/stat: …`). */

/** The message of anything thrown. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The error for `e` thrown while doing `context`: `context: message`, caused by `e`. */
export function inContext(context: string, e: unknown): Error {
  return new Error(`${context}: ${errorMessage(e)}`, { cause: e });
}

/** Runs `fn`, prefixing the message of anything it throws with `context` (see `inContext`). */
export async function withContext<T>(context: string, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw inContext(context, e);
  }
}

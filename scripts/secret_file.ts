/** The generated agent secret of `deno task start`, kept in a 0600 file and reused. */

/** Reads the secret at `path`, or creates one (48 random bytes, base64url) with mode 0600. */
export async function ensureSecret(
  path: string,
): Promise<{ secret: string; path: string; created: boolean }> {
  try {
    const secret = (await Deno.readTextFile(path)).trim();
    if (secret.length >= 32) return { secret, path, created: false };
    throw new Error(`${path} holds a secret shorter than 32 characters; delete it to regenerate`);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const bytes = crypto.getRandomValues(new Uint8Array(48));
  const secret = btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
  await Deno.writeTextFile(path, secret + "\n", { mode: 0o600, createNew: true });
  await Deno.chmod(path, 0o600);
  return { secret, path, created: true };
}

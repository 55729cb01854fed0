/**
 * Host globs of alert rules: `*` matches any run of characters, `?` exactly one; every
 * other character matches itself. `web-*` matches `web-1` and `web-eu-2`, not `db-1`.
 */

/** Compiles a host glob to an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  let source = "";
  for (const ch of glob) {
    if (ch === "*") source += ".*";
    else if (ch === "?") source += ".";
    else source += ch.replace(/[.+^${}()|[\]\\/-]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "s");
}

/** A compiled glob with a fast path for `*` (every host). */
export function hostMatcher(glob: string): (host: string) => boolean {
  if (glob === "*") return () => true;
  const re = globToRegExp(glob);
  return (host) => re.test(host);
}

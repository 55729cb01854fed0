/**
 * The files `LOG_PATHS` names: absolute paths whose last segment may be a glob (`*`, `?`,
 * `[abc]`, `[!abc]`). Directories are literal, so each pattern has one directory to watch
 * and to list.
 *
 * @example
 * ```ts
 * const p = parsePathPattern("/var/log/app/*.log");
 * p.dir;                 // "/var/log/app"
 * p.matches("api.log");  // true
 * p.matches(".x.log");   // false: like a shell, wildcards do not match a leading dot
 * ```
 */

/** One entry of `LOG_PATHS`. */
export interface PathPattern {
  /** The pattern as configured (normalized). */
  readonly text: string;
  /** The directory holding the files: watched and listed. */
  readonly dir: string;
  /** The last segment: a file name or a glob. */
  readonly name: string;
  /** True when `name` has wildcards. */
  readonly isGlob: boolean;
  /** True when a file name in `dir` is selected by the pattern. */
  matches(fileName: string): boolean;
}

const GLOB_CHARS = /[*?[]/;

/** Resolves `.` and `..` segments and duplicate slashes of an absolute path. */
export function normalizeAbsolutePath(path: string): string {
  const parts: string[] = [];
  for (const seg of path.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") parts.pop();
    else parts.push(seg);
  }
  return "/" + parts.join("/");
}

/** Compiles a one-segment glob into an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  let out = "^";
  if (glob.startsWith("*") || glob.startsWith("?") || glob.startsWith("[")) out += "(?!\\.)";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else if (c === "[") {
      const close = glob.indexOf("]", i + 2);
      if (close < 0) {
        out += "\\[";
        continue;
      }
      let body = glob.slice(i + 1, close);
      const negated = body.startsWith("!") || body.startsWith("^");
      if (negated) body = body.slice(1);
      out += `[${negated ? "^" : ""}${body.replace(/[\\\]^]/g, "\\$&")}]`;
      i = close;
    } else out += c.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  return new RegExp(out + "$");
}

/** Parses one `LOG_PATHS` entry; throws an Error with the reason when it is not usable. */
export function parsePathPattern(text: string): PathPattern {
  if (!text.startsWith("/")) throw new Error("must be an absolute path");
  if (text.includes("\u0000")) throw new Error("contains a NUL character");
  if (text.endsWith("/")) {
    throw new Error("names a directory; add a file name or a glob such as *.log");
  }
  const normalized = normalizeAbsolutePath(text);
  const slash = normalized.lastIndexOf("/");
  const dir = slash === 0 ? "/" : normalized.slice(0, slash);
  const name = normalized.slice(slash + 1);
  if (name === "") throw new Error("names a directory; add a file name or a glob such as *.log");
  if (GLOB_CHARS.test(dir)) {
    throw new Error("wildcards are allowed only in the file name, not in directories");
  }
  const isGlob = GLOB_CHARS.test(name);
  const re = isGlob ? globToRegExp(name) : null;
  return {
    text: normalized,
    dir,
    name,
    isGlob,
    matches: re ? (f) => re.test(f) : (f) => f === name,
  };
}

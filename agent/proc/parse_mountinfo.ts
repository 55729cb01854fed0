/**
 * Parser for `/proc/self/mountinfo` (see proc(5)): one entry per mount, escapes decoded.
 *
 * A line reads `id parent major:minor root mount-point options [optional…] - fstype source super-options`.
 *
 * @example
 * ```ts
 * parseMountinfo("27 1 254:0 / /mnt/my\\040disk rw - ext4 /dev/vda rw\n")[0].mountPoint; // "/mnt/my disk"
 * ```
 */
import { numberedLines, onLine, ProcParseError } from "./parse_error.ts";

/** One mount. `device` is `major:minor`, the same for every mount of one file system. */
export interface MountInfo {
  device: string;
  root: string;
  mountPoint: string;
  fsType: string;
  source: string;
}

/**
 * One line as the kernel prints it, fields separated by single spaces: id, parent, device,
 * root, mount point, options, optional fields (none of them a lone `-`), `-`, type, source,
 * then anything. Captures device, root, mount point, type and source.
 */
const LINE = /\S+ \S+ (\d+:\d+) (\S+) (\S+) \S+(?: (?!-[ \n])\S+)* - (\S+) (\S+)(?:\n| [^\n]*\n)/y;

/** Decodes the kernel's octal escapes (`\040` space, `\011` tab, `\012` newline, `\134` backslash). */
export function decodeMountEscapes(text: string): string {
  return text.replace(
    /\\([0-7]{3})/g,
    (_, octal: string) => String.fromCharCode(parseInt(octal, 8)),
  );
}

/** Parses the text of `/proc/self/mountinfo`. */
export function parseMountinfo(text: string): MountInfo[] {
  return parseMountinfoFast(text) ?? parseMountinfoByLine(text);
}

/**
 * The fast path (see parse_error.ts: the agent runs jitless): one `exec` per line, escapes
 * decoded only when the text has a backslash at all; null when any line is not exactly as
 * the kernel prints it.
 */
export function parseMountinfoFast(text: string): MountInfo[] | null {
  const out: MountInfo[] = [];
  const escaped = text.indexOf("\\") >= 0;
  const re = LINE;
  re.lastIndex = 0;
  let end = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    out.push(
      escaped
        ? {
          device: m[1],
          root: decodeMountEscapes(m[2]),
          mountPoint: decodeMountEscapes(m[3]),
          fsType: m[4],
          source: decodeMountEscapes(m[5]),
        }
        : { device: m[1], root: m[2], mountPoint: m[3], fsType: m[4], source: m[5] },
    );
    end = re.lastIndex;
  }
  return end === text.length ? out : null;
}

function parseMountLine(line: string): MountInfo {
  const fields = line.split(" ");
  const separator = fields.indexOf("-", 6);
  if (fields.length < 6 || separator < 0) {
    throw new ProcParseError('expected 6 fields, optional fields, then "-"');
  }
  if (fields.length < separator + 3) {
    throw new ProcParseError('expected a file-system type and a source after "-"');
  }
  if (!/^\d+:\d+$/.test(fields[2])) {
    throw new ProcParseError(`device ${JSON.stringify(fields[2])} is not major:minor`);
  }
  return {
    device: fields[2],
    root: decodeMountEscapes(fields[3]),
    mountPoint: decodeMountEscapes(fields[4]),
    fsType: fields[separator + 1],
    source: decodeMountEscapes(fields[separator + 2]),
  };
}

/** The strict line-by-line parser: any layout the fast path refuses, and the errors. */
export function parseMountinfoByLine(text: string): MountInfo[] {
  return numberedLines(text).map(([lineNo, line]) =>
    onLine(lineNo, line, () => parseMountLine(line))
  );
}

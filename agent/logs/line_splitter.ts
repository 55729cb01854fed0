/**
 * Splits a file's bytes into lines with their byte offsets, as they are read, chunk by chunk.
 *
 * - A line ends at `\n` (a `\r` before it is dropped). Its `offset` is its first byte and
 *   `end` the byte after its newline.
 * - A line longer than `maxLineBytes` is emitted as soon as it passes the limit, cut on a UTF-8
 *   boundary and flagged `truncated`; the rest of it, up to its newline, is skipped.
 * - The incomplete last line waits in the splitter until its newline arrives, or until
 *   `flushPartial()` (the caller's timer) emits it as it is.
 * - `cuts`: offsets where an earlier run flushed a partial line. A line is cut there again, so
 *   re-reading a file after a restart yields exactly the same lines as the first reading.
 * - A run of NUL bytes where a line would start is skipped: it is not text but a hole (a writer
 *   that does not append keeps writing at its old offset after a truncation, and the file reads
 *   as zeros up to there). The next line starts at the first other byte.
 *
 * @example
 * ```ts
 * const s = new LineSplitter(65536, 0);
 * const out: RawLine[] = [];
 * s.push(new TextEncoder().encode("a\nbc"), out); // out: [{offset 0, end 2, "a"}]; "bc" waits
 * ```
 */
import { completeUtf8Length, utf8Boundary } from "./utf8.ts";

/** One line as read. */
export interface RawLine {
  offset: number;
  end: number;
  /** The line's bytes without the newline, at most `maxLineBytes`. */
  bytes: Uint8Array;
  truncated: boolean;
  /** False when the line was flushed (or re-cut) without its newline. */
  complete: boolean;
}

const NL = 10;
const CR = 13;

/** The index of the first byte at or after `from` that is not 0 (`bytes.length` when none is). */
export function zeroRunEnd(bytes: Uint8Array, from = 0): number {
  let i = from;
  const n = bytes.length;
  while (i < n && ((bytes.byteOffset + i) & 3) !== 0) {
    if (bytes[i] !== 0) return i;
    i++;
  }
  const words = (n - i) >> 2;
  if (words > 0) {
    const w = new Uint32Array(bytes.buffer, bytes.byteOffset + i, words);
    let k = 0;
    while (k < words && w[k] === 0) k++;
    i += k * 4;
  }
  while (i < n && bytes[i] === 0) i++;
  return i;
}

/** The line splitter of one file; see the module comment. */
export class LineSplitter {
  /** Offset of the first byte not yet pushed. */
  #readEnd: number;
  /** Offset where the current incomplete line starts. */
  #lineStart: number;
  #carry: Uint8Array[] = [];
  #carryLen = 0;
  /** True while skipping the rest of a line already emitted as truncated. */
  #discarding = false;
  #cuts: readonly number[] = [];
  #cutIndex = 0;

  constructor(readonly maxLineBytes: number, startOffset: number) {
    this.#readEnd = startOffset;
    this.#lineStart = startOffset;
  }

  /** Offsets where lines must be cut (sorted ascending); those behind the read position are ignored. */
  setCuts(cuts: readonly number[]): void {
    this.#cuts = cuts;
    this.#cutIndex = 0;
    while (this.#cutIndex < cuts.length && cuts[this.#cutIndex] <= this.#lineStart) {
      this.#cutIndex++;
    }
  }

  /** Offset of the next byte to read. */
  get readEnd(): number {
    return this.#readEnd;
  }

  /** Offset up to which every byte belongs to an emitted line or was skipped. */
  get consumed(): number {
    return this.#discarding ? this.#readEnd : this.#lineStart;
  }

  /** Bytes of the incomplete last line held back (0 when none, or when skipping). */
  get pendingBytes(): number {
    return this.#discarding ? 0 : this.#carryLen;
  }

  /** True when the held incomplete line starts with a space or a tab (it may be a continuation line). */
  get pendingStartsIndented(): boolean {
    if (this.#discarding || this.#carryLen === 0) return false;
    const b = this.#carry[0][0];
    return b === 32 || b === 9;
  }

  /**
   * Feeds the next bytes of the file (they start at `readEnd`); complete lines go to `out`.
   * Lines in `out` may be views of `chunk`: use them before its buffer is reused.
   */
  push(chunk: Uint8Array, out: RawLine[]): void {
    let pos = 0;
    const base = this.#readEnd;
    while (pos < chunk.length) {
      const absPos = base + pos;
      const cut = this.#nextCut();
      if (cut !== null && cut <= absPos) {
        // A cut at the current position ends the line held so far; older ones are behind us.
        if (cut === absPos && this.#carryLen > 0 && !this.#discarding) {
          this.#endLine(absPos, false, out);
        }
        this.#cutIndex++;
        continue;
      }
      if (chunk[pos] === 0 && this.#carryLen === 0 && !this.#discarding) {
        // A hole where a line would start: skipped, the line starts after it.
        pos = zeroRunEnd(chunk, pos);
        this.#lineStart = base + pos;
        this.#readEnd = base + pos;
        continue;
      }
      const nl = chunk.indexOf(NL, pos);
      const stop = nl < 0 ? chunk.length : nl;
      if (cut !== null && cut - base <= stop) {
        // An earlier run flushed a partial line here: cut it at the same byte.
        const limit = cut - base;
        this.#append(chunk.subarray(pos, limit), out);
        this.#readEnd = cut;
        this.#cutIndex++;
        this.#endLine(cut, false, out);
        pos = limit;
        continue;
      }
      if (nl < 0) {
        this.#append(chunk.subarray(pos), out);
        pos = chunk.length;
        this.#readEnd = base + pos;
        break;
      }
      if (this.#carryLen === 0 && !this.#discarding && nl - pos <= this.maxLineBytes + 1) {
        // Fast path: the whole line lies in this chunk.
        let stopAt = nl;
        if (stopAt > pos && chunk[stopAt - 1] === CR) stopAt--;
        const bytes = chunk.subarray(pos, stopAt);
        if (bytes.length <= this.maxLineBytes) {
          out.push({
            offset: base + pos,
            end: base + nl + 1,
            bytes,
            truncated: false,
            complete: true,
          });
          pos = nl + 1;
          this.#lineStart = base + pos;
          this.#readEnd = base + pos;
          continue;
        }
      }
      this.#append(chunk.subarray(pos, nl), out);
      this.#readEnd = base + nl + 1;
      this.#endLine(base + nl + 1, true, out);
      pos = nl + 1;
    }
    this.#readEnd = base + chunk.length;
  }

  /**
   * Emits the incomplete last line as it is (the caller's partial-flush timer fired); returns
   * the offset where it was cut (record it, so a re-read cuts there too), or null when there
   * was nothing to flush. An incomplete UTF-8 character at the end stays for the next line.
   */
  flushPartial(out: RawLine[]): number | null {
    if (this.#discarding || this.#carryLen === 0) return null;
    const bytes = this.#joined();
    const len = completeUtf8Length(bytes);
    if (len === 0) return null;
    const cutAt = this.#lineStart + len;
    const rest = bytes.subarray(len);
    this.#carry = [bytes.subarray(0, len)];
    this.#carryLen = len;
    this.#endLine(cutAt, false, out);
    if (rest.length > 0) {
      this.#carry = [rest.slice()];
      this.#carryLen = rest.length;
    }
    return cutAt;
  }

  /**
   * Skips to `offset` (past a hole) when no line is held; false (nothing changes) when one is,
   * or when `offset` is behind the read position.
   */
  skipTo(offset: number): boolean {
    if (this.#carryLen > 0 || this.#discarding || offset < this.#readEnd) return false;
    this.#readEnd = offset;
    this.#lineStart = offset;
    while (this.#cutIndex < this.#cuts.length && this.#cuts[this.#cutIndex] <= offset) {
      this.#cutIndex++;
    }
    return true;
  }

  /** Forgets everything held and continues at `offset` (after a truncation, or a resume). */
  reset(offset: number): void {
    this.#readEnd = offset;
    this.#lineStart = offset;
    this.#carry = [];
    this.#carryLen = 0;
    this.#discarding = false;
    this.#cuts = [];
    this.#cutIndex = 0;
  }

  #nextCut(): number | null {
    return this.#cutIndex < this.#cuts.length ? this.#cuts[this.#cutIndex] : null;
  }

  #joined(): Uint8Array {
    if (this.#carry.length === 1) return this.#carry[0];
    const all = new Uint8Array(this.#carryLen);
    let o = 0;
    for (const c of this.#carry) {
      all.set(c, o);
      o += c.length;
    }
    this.#carry = [all];
    return all;
  }

  /** Adds bytes to the current line; emits it truncated once it passes the limit. */
  #append(bytes: Uint8Array, out: RawLine[]): void {
    if (this.#discarding || bytes.length === 0) return;
    // Keep a copy: the caller's buffer is reused for the next read.
    this.#carry.push(bytes.slice());
    this.#carryLen += bytes.length;
    // One byte more than the limit may be a `\r` that the newline will drop.
    if (this.#carryLen <= this.maxLineBytes + 1) return;
    const all = this.#joined();
    const cut = utf8Boundary(all, this.maxLineBytes);
    out.push({
      offset: this.#lineStart,
      // Fixed, not "bytes seen so far": the same line gives the same end however it was read.
      end: this.#lineStart + this.maxLineBytes + 2,
      bytes: all.subarray(0, cut),
      truncated: true,
      complete: false,
    });
    this.#carry = [];
    this.#carryLen = 0;
    this.#discarding = true;
  }

  /** Ends the current line at `end` (after its newline, or at a cut). */
  #endLine(end: number, complete: boolean, out: RawLine[]): void {
    if (this.#discarding) {
      this.#discarding = false;
    } else {
      let bytes = this.#joined();
      if (complete && bytes.length > 0 && bytes[bytes.length - 1] === CR) {
        bytes = bytes.subarray(0, bytes.length - 1);
      }
      let truncated = false;
      if (bytes.length > this.maxLineBytes) {
        bytes = bytes.subarray(0, utf8Boundary(bytes, this.maxLineBytes));
        truncated = true;
      }
      if (this.#carryLen > 0 || complete) {
        out.push({ offset: this.#lineStart, end, bytes, truncated, complete });
      }
    }
    this.#carry = [];
    this.#carryLen = 0;
    this.#lineStart = end;
  }
}

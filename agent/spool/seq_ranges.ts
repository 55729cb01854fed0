/**
 * A set of record sequence numbers kept as sorted, disjoint, inclusive ranges, so that the
 * spool's checkpoint stays small however many records it describes (a run of a thousand
 * consecutive seqs is one `[from, to]` pair).
 *
 * @example
 * ```ts
 * const s = new SeqRanges();
 * s.add(3); s.add(4); s.add(9);
 * s.toJSON(); // [[3, 4], [9, 9]]
 * ```
 */

/** One inclusive range `[from, to]`. */
export type SeqRange = [number, number];

/** Sorted disjoint ranges of sequence numbers. */
export class SeqRanges {
  #ranges: SeqRange[] = [];

  /** Builds the set from ranges (any order, overlaps allowed). */
  static from(ranges: readonly SeqRange[]): SeqRanges {
    const sorted = ranges.filter(([a, b]) => a <= b).map(([a, b]): SeqRange => [a, b])
      .sort((x, y) => x[0] - y[0]);
    const s = new SeqRanges();
    for (const r of sorted) {
      const last = s.#ranges.at(-1);
      if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
      else s.#ranges.push(r);
    }
    return s;
  }

  /** Builds the set from ascending seqs. */
  static ofSorted(seqs: Iterable<number>): SeqRanges {
    const s = new SeqRanges();
    for (const q of seqs) {
      const last = s.#ranges.at(-1);
      if (last && q === last[1] + 1) last[1] = q;
      else if (!last || q > last[1]) s.#ranges.push([q, q]);
      else s.add(q);
    }
    return s;
  }

  #find(seq: number): number {
    let lo = 0, hi = this.#ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const [from, to] = this.#ranges[mid];
      if (seq < from) hi = mid - 1;
      else if (seq > to) lo = mid + 1;
      else return mid;
    }
    return -(lo + 1);
  }

  /** True when `seq` is in the set. */
  has(seq: number): boolean {
    return this.#find(seq) >= 0;
  }

  /** Adds one seq, merging neighbours. */
  add(seq: number): void {
    const i = this.#find(seq);
    if (i >= 0) return;
    const at = -(i + 1);
    const prev = this.#ranges[at - 1];
    const next = this.#ranges[at];
    if (prev && prev[1] === seq - 1 && next && next[0] === seq + 1) {
      prev[1] = next[1];
      this.#ranges.splice(at, 1);
    } else if (prev && prev[1] === seq - 1) prev[1] = seq;
    else if (next && next[0] === seq + 1) next[0] = seq;
    else this.#ranges.splice(at, 0, [seq, seq]);
  }

  /** Removes one seq, splitting its range if needed. */
  delete(seq: number): void {
    const i = this.#find(seq);
    if (i < 0) return;
    const [from, to] = this.#ranges[i];
    if (from === to) this.#ranges.splice(i, 1);
    else if (seq === from) this.#ranges[i][0] = seq + 1;
    else if (seq === to) this.#ranges[i][1] = seq - 1;
    else this.#ranges.splice(i, 1, [from, seq - 1], [seq + 1, to]);
  }

  /** How many seqs the set holds. */
  get size(): number {
    let n = 0;
    for (const [from, to] of this.#ranges) n += to - from + 1;
    return n;
  }

  /** The ranges, ascending (a copy). */
  toJSON(): SeqRange[] {
    return this.#ranges.map(([a, b]) => [a, b]);
  }
}

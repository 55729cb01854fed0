/**
 * Alert fingerprints: 16 hex digits of a 64-bit FNV-1a hash of the sorted label set, the
 * form Alertmanager receivers expect in `fingerprint`. Equal label sets give equal
 * fingerprints on every replica and across restarts.
 */

const OFFSET = 0xcbf29ce484222325n;
const PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;
const enc = new TextEncoder();

/** The fingerprint of a label set (order of keys does not matter). */
export function fingerprint(labels: Record<string, string>): string {
  let h = OFFSET;
  const feed = (s: string) => {
    for (const b of enc.encode(s)) {
      h ^= BigInt(b);
      h = (h * PRIME) & MASK;
    }
    h ^= 0xffn;
    h = (h * PRIME) & MASK;
  };
  for (const k of Object.keys(labels).sort()) {
    feed(k);
    feed(labels[k]);
  }
  return h.toString(16).padStart(16, "0");
}

/**
 * Signing per the Standard Webhooks specification: headers `webhook-id` (stable across
 * retries of one message), `webhook-timestamp` (seconds, of this attempt) and
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "${id}.${timestamp}.${body}">`.
 * A secret written `whsec_<base64>` is the base64 of the key bytes; any other text is
 * used as UTF-8 bytes.
 *
 * @example
 * ```ts
 * const headers = await signatureHeaders(decodeSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")!, "msg_1", 1700000000, body);
 * ```
 */

const enc = new TextEncoder();

/** Key bytes of a secret: base64 after `whsec_`, else the UTF-8 text; null for bad base64. */
export function decodeSecret(secret: string): Uint8Array | null {
  if (!secret.startsWith("whsec_")) return enc.encode(secret);
  try {
    const bin = atob(secret.slice("whsec_".length));
    if (bin.length === 0) return null;
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

function base64(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** The base64 HMAC-SHA256 signature of `${id}.${timestamp}.${body}` under `key`. */
export async function sign(
  key: Uint8Array,
  id: string,
  timestampS: number,
  body: string,
): Promise<string> {
  const k = await crypto.subtle.importKey(
    "raw",
    key as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", k, enc.encode(`${id}.${timestampS}.${body}`));
  return base64(new Uint8Array(mac));
}

/** The three Standard Webhooks headers for one delivery attempt. */
export async function signatureHeaders(
  key: Uint8Array,
  id: string,
  timestampS: number,
  body: string,
): Promise<Record<string, string>> {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestampS),
    "webhook-signature": `v1,${await sign(key, id, timestampS, body)}`,
  };
}

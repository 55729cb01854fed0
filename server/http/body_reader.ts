/**
 * Reading a JSON request body within a byte limit, without buffering the excess.
 *
 * The body is streamed and the read aborted as soon as the count passes the limit, so a
 * client cannot make the server hold more than `limitBytes` (plus one chunk) whatever
 * `Content-Length` says or omits. `Content-Encoding: gzip` is decompressed on the fly and
 * the decompressed size is bounded by the same limit (a gzip bomb stops at the limit).
 */
import { concatBytes } from "../../shared/bytes.ts";

/** Why a body was refused: the HTTP status to answer and a message for the client. */
export interface BodyError {
  status: 400 | 413 | 415 | 503;
  error: string;
}

/** A parsed JSON body, or why it was refused. */
export type BodyResult = { ok: true; value: unknown } | ({ ok: false } & BodyError);

/** True when `contentType` is `application/json`, parameters (charset) allowed. */
export function isJsonContentType(contentType: string | null): boolean {
  if (contentType === null) return false;
  return contentType.split(";")[0].trim().toLowerCase() === "application/json";
}

class LimitExceeded extends Error {}

function tooLarge(limitBytes: number, what: string): { ok: false } & BodyError {
  return { ok: false, status: 413, error: `${what} is larger than ${limitBytes} bytes` };
}

/** A stream that passes bytes through and errors once more than `limit` have passed. */
function countingStream(limit: number, onExceeded: () => void): TransformStream<Uint8Array> {
  let seen = 0;
  return new TransformStream({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > limit) {
        onExceeded();
        controller.error(new LimitExceeded());
        return;
      }
      controller.enqueue(chunk);
    },
  });
}

/**
 * Passes `stream` through unchanged and calls `onError` if the *source* fails (the client
 * went away, the server is shutting down): that is the transport's fault, not the body's.
 */
function watchSource(
  stream: ReadableStream<Uint8Array>,
  onError: () => void,
): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await reader.read();
      } catch (e) {
        onError();
        controller.error(e);
        return;
      }
      if (r.done) controller.close();
      else controller.enqueue(r.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/** Reads all of `stream` into one array, or throws `LimitExceeded` past `limit` bytes. */
async function collect(stream: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) throw new LimitExceeded();
      chunks.push(value);
    }
  } catch (e) {
    await reader.cancel().catch(() => {});
    throw e;
  }
  return concatBytes(chunks, total);
}

/**
 * Reads `req`'s body as JSON: 415 wrong type or encoding, 413 over `limitBytes`, 400 not
 * JSON, 503 when the body was cut off in transit.
 */
export async function readJsonBody(req: Request, limitBytes: number): Promise<BodyResult> {
  if (!isJsonContentType(req.headers.get("content-type"))) {
    return { ok: false, status: 415, error: "Content-Type must be application/json" };
  }
  const encoding = (req.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
  const gzip = encoding === "gzip" || encoding === "x-gzip";
  if (!gzip && encoding !== "identity" && encoding !== "") {
    return {
      ok: false,
      status: 415,
      error: "Content-Encoding must be gzip or identity",
    };
  }
  const declared = req.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > limitBytes) {
    await req.body?.cancel().catch(() => {});
    return tooLarge(limitBytes, "body");
  }
  if (req.body === null) return { ok: false, status: 400, error: "body is empty" };

  let bytes: Uint8Array;
  let wireExceeded = false;
  let transportFailed = false;
  const body = watchSource(req.body, () => transportFailed = true);
  try {
    if (gzip) {
      const decompressed = body
        .pipeThrough(countingStream(limitBytes, () => wireExceeded = true))
        .pipeThrough(new DecompressionStream("gzip"));
      bytes = await collect(decompressed, limitBytes);
    } else {
      bytes = await collect(body, limitBytes);
    }
  } catch (e) {
    if (wireExceeded) return tooLarge(limitBytes, "body");
    if (e instanceof LimitExceeded) {
      return tooLarge(limitBytes, gzip ? "decompressed body" : "body");
    }
    // A body cut off in transit is not the client's data being wrong: answer 503 so the
    // sender retries (ingest is idempotent) instead of treating the batch as bad for good.
    if (transportFailed) {
      return {
        ok: false,
        status: 503,
        error: `body could not be read (${(e as Error)?.name ?? "error"}); retry`,
      };
    }
    if (gzip) return { ok: false, status: 400, error: "body is not a valid gzip stream" };
    return { ok: false, status: 400, error: `body could not be read: ${(e as Error)?.name}` };
  }
  if (bytes.byteLength === 0) return { ok: false, status: 400, error: "body is empty" };
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, status: 400, error: "body is not valid UTF-8" };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, status: 400, error: "body is not valid JSON" };
  }
}

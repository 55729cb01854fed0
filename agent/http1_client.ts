/**
 * A minimal HTTP/1.1 client with the call shape of `fetch`, for the agent's requests to
 * the server when no proxy is configured.
 *
 * Why: the agent runs with `--v8-flags=--jitless`, so every bytecode of the fetch stack
 * (Request/Headers/Response objects, WebIDL conversions, streams, the hyper client pool
 * behind it) is interpreted. Measured on the development machine, jitless and hot, one
 * `fetch()` POST of a ~700-byte gzip body to a local server cost ~330–355 µs of CPU; the same
 * request written by hand over a kept-alive `Deno.connect` connection cost ~62 µs. The agent
 * sends one request per tick, and its whole budget is under 1 s of CPU per hour at a 10 s
 * interval, so this is worth a few hundred lines. Measured side by side in one jitless
 * process (300 POSTs after 30 warm-ups, medians of 7 rounds, 3 runs, on a busier machine):
 * fetch 280–320 µs per request, this client 125–145 µs, a bare hand-written write and read
 * 85–100 µs. The difference to the bare exchange is mostly the `Response` object (~15 µs
 * with its body), the abort listener and the parsing.
 *
 * What it speaks (a client subset of RFC 9112):
 * - one kept-alive connection per origin (`protocol//hostname:port`), `http:` over TCP and
 *   `https:` over TLS; requests on one connection never overlap (no pipelining): a second
 *   concurrent call waits for the first;
 * - a request is one write: request line, `Host`, the caller's headers, `Content-Length`
 *   (always, also 0), then the body. Header names must be tokens, values may hold no CR,
 *   LF or NUL (no header injection) and no character beyond U+00FF, as with `fetch`; a
 *   caller's `Host` and `Content-Length` are replaced by the client's own;
 * - responses: status line `HTTP/1.x NNN reason`, CRLF-terminated header lines (names
 *   case-insensitive, repeated headers joined with ", "), interim 1xx responses skipped;
 *   the body by `Content-Length`, by `Transfer-Encoding: chunked` (extensions and trailers
 *   ignored), or until EOF when neither is present; none for HEAD, 204 and 304. The body is
 *   read whole before the `Response` is returned (the agent's answers are small);
 * - the connection is kept unless the response says `Connection: close`, is HTTP/1.0
 *   without `Connection: keep-alive`, or was read until EOF;
 * - a stale kept-alive connection (the server closed it while idle) is retried once on a
 *   fresh connection; see {@linkcode createHttp1Fetch}.
 *
 * Where the CPU goes, jitless: `new Headers()` costs ~7 µs per header (WebIDL ByteString
 * conversion and validation, interpreted), so a response's `headers` are built only when
 * read (the agent reads them only from error answers); a regex over a 200-byte token costs
 * ~2 µs, so request header values are checked with `indexOf`; parsed URLs are cached;
 * `instanceof Request` is avoided (it would load Deno's lazily loaded Request module).
 *
 * What it deliberately does not do: proxies (the agent uses `fetch` when one is configured),
 * redirects (a 3xx is returned as is: `fetch` would follow a 301/302/303 by turning the
 * POST into a GET without a body, which the agent never wants; the Sender sees the 3xx and
 * rejects it), HTTP/2 and upgrades, response decompression (no `Accept-Encoding` is sent;
 * a `Content-Encoding` in a response is passed through untouched), request bodies other
 * than bytes or a string (no streams, no `Transfer-Encoding` on requests), `Expect:
 * 100-continue`, cookies, caching, and `Request` objects as input.
 *
 * @example
 * ```ts
 * const http1 = createHttp1Fetch();
 * const sender = new Sender({ serverUrl, tokens, fetch: http1, timeoutMs: 10_000, now: Date.now });
 * // … at shutdown:
 * http1.close();
 * ```
 */
import { concatBytes } from "../shared/bytes.ts";
import { errorMessage } from "./errors.ts";

/** What the client can be given. */
export interface Http1FetchOptions {
  /**
   * Opens a connection to `url`'s origin (default: `Deno.connect` for `http:`,
   * `Deno.connectTls` for `https:`). A TLS connection's handshake is completed before the
   * request is written, so a failing handshake counts as a connect error.
   */
  connect?: (url: URL) => Promise<Deno.Conn>;
  /** Largest response head (status line and headers, also of a 1xx, or trailers); default 64 KiB. */
  maxHeaderBytes?: number;
  /** Largest response body; default 8 MiB. */
  maxBodyBytes?: number;
}

/** The part of `RequestInit` the client reads; anything else in an init is ignored. */
export interface Http1RequestInit {
  method?: string;
  /** Bytes (any ArrayBufferView or ArrayBuffer) or a string (sent as UTF-8). */
  body?: BodyInit | null;
  /** A record, an array of pairs, or a `Headers`. */
  headers?: HeadersInit;
  signal?: AbortSignal | null;
}

/** A `fetch`-shaped function over kept-alive HTTP/1.1 connections, with `close()`. */
export interface Http1Fetch {
  (input: string | URL | Request, init?: Http1RequestInit): Promise<Response>;
  /** Closes every connection, idle or in use (a request in flight fails). The client stays usable. */
  close(): void;
}

/** Message prefix of every failure to connect; the Sender classifies it as "provably not stored". */
export const CONNECT_ERROR_PREFIX = "tcp connect error: ";

const DEFAULT_MAX_HEADER_BYTES = 64 * 1024;
const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;
/** Initial read buffer of a connection; grows for larger heads and EOF-delimited bodies. */
const READ_BUFFER_BYTES = 16 * 1024;
/** Parsed URLs kept (the agent posts to two). */
const TARGET_CACHE_MAX = 32;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: ([\t\x20-\x7e\x80-\xff]*))?$/;
const CHUNK_SIZE = /^([0-9A-Fa-f]{1,8})[\t ]*(?:;.*)?$/;
const DIGITS = /^\d{1,15}$/;
/** Methods `fetch` upper-cases (the Fetch standard's "normalize a method"). */
const NORMALIZED_METHODS = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);
const FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);

const encoder = new TextEncoder();
/** `Headers`, read once: the global is a lazy getter, costly to call on every request. */
const HeadersClass = globalThis.Headers;
const CONTENT_LENGTH = encoder.encode("Content-Length: ");

/** One parsed request URL. */
interface Target {
  url: URL;
  /** `protocol//hostname:port`, the key of the connection pool. */
  origin: string;
  /** The head after the method: ` /path?query HTTP/1.1\r\nHost: host\r\n`. */
  lineAndHost: string;
}

/** Per origin: the idle kept-alive connection, and the queue of requests waiting their turn. */
interface Origin {
  idle: Connection | null;
  busy: boolean;
  waiting: (() => void)[];
}

/** A parsed final response head, and whether the connection may be kept after it. */
interface Head {
  status: number;
  statusText: string;
  headers: [string, string][];
  contentLength: string | null;
  transferEncoding: string | null;
  keep: boolean;
}

/** A reused connection failed before the response began: retry on a fresh one. */
class StaleConnection extends Error {}

/** EOF where more of the response was due. */
class ClosedEarly extends Error {}

/** A connection and its read buffer: `buf[start..end)` holds bytes read but not consumed. */
class Connection {
  buf = new Uint8Array(READ_BUFFER_BYTES);
  start = 0;
  end = 0;
  /** Bytes read since the current request was written. */
  received = 0;
  closed = false;

  constructor(readonly conn: Deno.Conn, private readonly all: Set<Connection>) {
    all.add(this);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.all.delete(this);
    try {
      this.conn.close();
    } catch { /* already closed */ }
  }

  /** Reads more bytes into the buffer (compacting or growing it first when full); false on EOF. */
  async fill(): Promise<boolean> {
    if (this.end === this.buf.length) {
      if (this.start > 0) {
        this.buf.copyWithin(0, this.start, this.end);
        this.end -= this.start;
        this.start = 0;
      } else {
        const bigger = new Uint8Array(this.buf.length * 2);
        bigger.set(this.buf);
        this.buf = bigger;
      }
    }
    const n = await this.conn.read(this.buf.subarray(this.end));
    if (n === null) return false;
    this.end += n;
    this.received += n;
    return true;
  }

  /**
   * Reads until the buffer holds a blank line (`\r\n\r\n`, or just `\r\n` when `line`),
   * returns the text before it as Latin-1 and consumes it with the terminator.
   */
  async readUntil(line: boolean, maxBytes: number, what: string): Promise<string> {
    const termLen = line ? 2 : 4;
    let scanned = 0; // bytes after start known not to begin a terminator
    for (;;) {
      const end = this.end;
      const buf = this.buf.subarray(0, end); // indexOf must not scan stale bytes beyond end
      for (let i = this.start + scanned;; i++) {
        i = buf.indexOf(13, i);
        if (i < 0 || i + termLen > end) break;
        if (buf[i + 1] === 10 && (line || (buf[i + 2] === 13 && buf[i + 3] === 10))) {
          if (i + termLen - this.start > maxBytes) break; // too long: the error below
          const text = latin1(buf, this.start, i);
          this.start = i + termLen;
          return text;
        }
      }
      const pending = end - this.start;
      if (pending >= maxBytes) throw new Error(`http1: ${what} larger than ${maxBytes} bytes`);
      scanned = Math.max(0, pending - termLen + 1);
      if (!(await this.fill())) {
        throw new ClosedEarly(
          this.received === 0
            ? "http1: the server closed the connection before responding"
            : `http1: the connection closed in the middle of the ${what}`,
        );
      }
    }
  }

  /** Consumes the CRLF that ends a chunk's data. */
  async expectCrlf(): Promise<void> {
    while (this.end - this.start < 2) {
      if (!(await this.fill())) throw new ClosedEarly("http1: the connection closed in a chunk");
    }
    if (this.buf[this.start] !== 13 || this.buf[this.start + 1] !== 10) {
      throw new Error("http1: malformed chunk: no CRLF after its data");
    }
    this.start += 2;
  }

  /** The next `n` bytes: a copy from the buffer when all are there (no await), else read. */
  take(n: number): Uint8Array | Promise<Uint8Array> {
    if (this.end - this.start >= n) {
      const bytes = this.buf.slice(this.start, this.start + n);
      this.start += n;
      return bytes;
    }
    return this.#readExactly(n);
  }

  async #readExactly(n: number): Promise<Uint8Array> {
    const into = new Uint8Array(n);
    let got = this.end - this.start;
    into.set(this.buf.subarray(this.start, this.end));
    this.start = this.end;
    while (got < n) {
      const r = await this.conn.read(into.subarray(got));
      if (r === null) {
        throw new ClosedEarly(`http1: the connection closed after ${got} of ${n} body bytes`);
      }
      got += r;
      this.received += r;
    }
    return into;
  }
}

/** Bytes as Latin-1 text (one char per byte), so any byte survives into a ByteString. */
function latin1(buf: Uint8Array, from: number, to: number): string {
  let s = "";
  for (let i = from; i < to; i += 4096) {
    s += String.fromCharCode.apply(
      null,
      buf.subarray(i, Math.min(to, i + 4096)) as unknown as number[],
    );
  }
  return s;
}

/**
 * A Response whose `headers` are built on first use. Building a `Headers` costs ~7 µs of CPU
 * per header when jitless (WebIDL ByteString conversion and validation, interpreted), ~30 µs
 * for a typical answer, while the agent reads a header only from an error answer
 * (`Retry-After`). `headers` returns a real `Headers`, the same one on every call. Unlike a
 * fetched Response, `url` is "" and a `clone()` would have no headers (the agent uses
 * neither).
 */
class Http1Response extends Response {
  #pairs: [string, string][];
  #headers: Headers | undefined;

  constructor(body: Uint8Array | null, init: ResponseInit, pairs: [string, string][]) {
    super(body as Uint8Array<ArrayBuffer> | null, init);
    this.#pairs = pairs;
  }

  override get headers(): Headers {
    return this.#headers ??= new Headers(this.#pairs);
  }
}

/** EOF or a reset: what a server closing an idle connection looks like to the next request. */
function isClosedOrReset(e: unknown): boolean {
  return e instanceof ClosedEarly || e instanceof Deno.errors.ConnectionReset ||
    e instanceof Deno.errors.ConnectionAborted || e instanceof Deno.errors.BrokenPipe ||
    e instanceof Deno.errors.UnexpectedEof;
}

/** The default connect: TCP for `http:`, TLS for `https:` (IPv6 literals without brackets). */
function defaultConnect(url: URL): Promise<Deno.Conn> {
  const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  if (url.protocol === "https:") {
    return Deno.connectTls({ hostname, port: Number(url.port || 443) });
  }
  return Deno.connect({ hostname, port: Number(url.port || 80) });
}

/** Parses a response head (without its blank line). */
function parseHead(text: string): Head {
  // NUL, and below a lone CR or LF, are what a Headers would refuse. Checked with indexOf:
  // native even jitless, where a regex over every value would be interpreted.
  if (text.indexOf("\0") >= 0) throw new Error("http1: NUL in the response head");
  const lines = text.split("\r\n");
  const m = STATUS_LINE.exec(lines[0]);
  if (m === null) {
    throw new Error(`http1: malformed status line ${JSON.stringify(lines[0].slice(0, 100))}`);
  }
  let connection: string | null = null;
  const head: Head = {
    status: Number(m[2]),
    statusText: m[3] ?? "",
    headers: [],
    contentLength: null,
    transferEncoding: null,
    keep: true,
  };
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon) : "";
    if (!TOKEN.test(name)) {
      const c = line.charCodeAt(0);
      throw new Error(
        c === 32 || c === 9
          ? "http1: malformed header: obsolete line folding"
          : `http1: malformed header line ${JSON.stringify(line.slice(0, 100))}`,
      );
    }
    const value = fieldValue(line, colon + 1);
    if (value === null) throw new Error(`http1: malformed value of header ${name}`);
    head.headers.push([name, value]);
    switch (name.length) {
      case 10:
        if (name.toLowerCase() === "connection") connection = join(connection, value);
        break;
      case 14:
        if (name.toLowerCase() === "content-length") {
          if (head.contentLength !== null && head.contentLength !== value) {
            throw new Error("http1: conflicting Content-Length headers");
          }
          head.contentLength = value;
        }
        break;
      case 17:
        if (name.toLowerCase() === "transfer-encoding") {
          head.transferEncoding = join(head.transferEncoding, value);
        }
        break;
    }
  }
  const options = connection === null ? [] : tokens(connection);
  head.keep = m[1] === "1" ? !options.includes("close") : options.includes("keep-alive");
  return head;
}

function join(a: string | null, b: string): string {
  return a === null ? b : `${a}, ${b}`;
}

/**
 * The value of a header line from `from` (after the colon) without surrounding spaces and
 * tabs; null when it holds a lone CR or LF.
 */
function fieldValue(line: string, from: number): string | null {
  if (line.indexOf("\r", from) >= 0 || line.indexOf("\n", from) >= 0) return null;
  let a = from, b = line.length;
  // Common case first: one space after the colon, nothing at the end.
  if (line.charCodeAt(a) === 32) a++;
  let c = line.charCodeAt(a);
  while (a < b && (c === 32 || c === 9)) c = line.charCodeAt(++a);
  c = line.charCodeAt(b - 1);
  while (b > a && (c === 32 || c === 9)) c = line.charCodeAt(--b - 1);
  return line.slice(a, b);
}

/** The comma-separated tokens of a header, lowercased. */
function tokens(value: string): string[] {
  return value.toLowerCase().split(",").map((t) => t.trim()).filter((t) => t !== "");
}

/** Bytes of a request body. */
function bodyBytes(body: BodyInit | null | undefined): Uint8Array {
  if (body === undefined || body === null) return new Uint8Array(0);
  if (typeof body === "string") return encoder.encode(body);
  if (body instanceof Uint8Array) return body;
  if (ArrayBuffer.isView(body)) {
    return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  }
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  throw new TypeError("http1: a request body must be bytes or a string");
}

/** One validated header line. No CR or LF in a value: no header injection. */
function headerLine(name: string, value: string): string {
  if (!TOKEN.test(name)) throw new TypeError(`http1: invalid header name ${JSON.stringify(name)}`);
  // indexOf runs native even jitless; a regex over a 200-byte token would be interpreted.
  if (value.indexOf("\r") >= 0 || value.indexOf("\n") >= 0 || value.indexOf("\0") >= 0) {
    throw new TypeError(`http1: the value of header ${name} contains CR, LF or NUL`);
  }
  switch (name.length) {
    case 4:
      if (name.toLowerCase() === "host") return ""; // written from the URL
      break;
    case 14:
      if (name.toLowerCase() === "content-length") return ""; // written from the body
      break;
    case 17:
      if (name.toLowerCase() === "transfer-encoding") {
        throw new TypeError("http1: Transfer-Encoding on a request is not supported");
      }
      break;
  }
  return `${name}: ${value}\r\n`;
}

/** The lines of the caller's headers: a record, an array of pairs or a `Headers`. */
function headerLines(headers: HeadersInit | undefined): string {
  if (headers === undefined) return "";
  let out = "";
  if (Array.isArray(headers)) {
    for (const pair of headers) {
      if (pair.length !== 2) throw new TypeError("http1: a header pair must have two items");
      out += headerLine(String(pair[0]), String(pair[1]));
    }
  } else if (headers instanceof HeadersClass) {
    headers.forEach((value, name) => out += headerLine(name, value));
  } else {
    const record = headers as Record<string, string>;
    for (const name in record) {
      if (Object.hasOwn(record, name)) out += headerLine(name, String(record[name]));
    }
  }
  return out;
}

/** A head as bytes: Latin-1 (ByteString), as `fetch` writes it. */
function headBytes(head: string): Uint8Array {
  const out = new Uint8Array(head.length);
  const { read, written } = encoder.encodeInto(head, out);
  if (read !== head.length || written !== head.length) { // not all ASCII
    for (let i = 0; i < head.length; i++) {
      const c = head.charCodeAt(i);
      if (c > 0xff) throw new TypeError("http1: a header holds a character beyond U+00FF");
      out[i] = c;
    }
  }
  return out;
}

/**
 * The request as the one buffer that is written: `head` (as bytes), `Content-Length`, the
 * blank line, the body.
 */
function requestBytes(head: Uint8Array, body: Uint8Array): Uint8Array {
  const length = String(body.length);
  const out = new Uint8Array(
    head.length + CONTENT_LENGTH.length + length.length + 4 + body.length,
  );
  out.set(head);
  out.set(CONTENT_LENGTH, head.length);
  let at = head.length + CONTENT_LENGTH.length;
  for (let i = 0; i < length.length; i++) out[at++] = length.charCodeAt(i);
  out[at++] = 13;
  out[at++] = 10;
  out[at++] = 13;
  out[at++] = 10;
  out.set(body, at);
  return out;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) at += await conn.write(bytes.subarray(at));
}

function normalizeMethod(method: string | undefined): string {
  if (method === undefined) return "GET";
  if (method === "POST" || method === "GET") return method;
  if (!TOKEN.test(method)) throw new TypeError(`http1: invalid method ${JSON.stringify(method)}`);
  const upper = method.toUpperCase();
  if (FORBIDDEN_METHODS.has(upper)) throw new TypeError(`http1: method ${method} is forbidden`);
  return NORMALIZED_METHODS.has(upper) ? upper : method;
}

/**
 * Creates the client. Errors:
 * - while connecting (refused, unreachable, DNS, TLS handshake): an Error whose message is
 *   `tcp connect error: ` and the original message; nothing of the request was sent;
 * - after the request was (partly) written: an Error starting `http1: `, without that
 *   prefix, since the server may have acted on the request;
 * - an aborted `signal`: its `reason` (the connection in use is closed);
 * - an invalid URL, method, header or body: a TypeError, before anything is sent.
 *
 * A stale kept-alive connection is retried once: when a connection that already served a
 * request fails on write, or reaches EOF or a reset before a single byte of the response,
 * the request is written again on a fresh connection. That is the race of RFC 9112 §9.3.1:
 * the server closed the idle connection as the request went out. A fresh connection
 * failing the same way is an error. Retrying a POST is safe here, although it is not
 * idempotent, because the server de-duplicates what the agent sends: a metric batch
 * carries a batch id the server stores once, and log entries have a unique key (host,
 * time, file, offset). Should the first copy have been stored after all, the second is
 * answered as a duplicate, not stored twice.
 */
export function createHttp1Fetch(options: Http1FetchOptions = {}): Http1Fetch {
  const connect = options.connect ?? defaultConnect;
  const maxHeaderBytes = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const origins = new Map<string, Origin>();
  const targets = new Map<string, Target>();
  const all = new Set<Connection>();
  let lastHead = "";
  let lastHeadBytes: Uint8Array = new Uint8Array(0);

  function target(input: string | URL): Target {
    const href = typeof input === "string" ? input : input.href;
    const cached = targets.get(href);
    if (cached !== undefined) return cached;
    const url = new URL(href);
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new TypeError(`http1: unsupported URL scheme ${url.protocol} (http: and https: only)`);
    }
    if (url.username !== "" || url.password !== "") {
      throw new TypeError("http1: URLs with credentials are not supported");
    }
    const port = url.port || (url.protocol === "https:" ? "443" : "80");
    const t: Target = {
      url,
      origin: `${url.protocol}//${url.hostname}:${port}`,
      lineAndHost: ` ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n`,
    };
    if (targets.size >= TARGET_CACHE_MAX) targets.clear();
    targets.set(href, t);
    return t;
  }

  /** Opens a connection and completes a TLS handshake; failures carry the connect prefix. */
  async function dial(url: URL): Promise<Deno.Conn> {
    let conn: Deno.Conn;
    try {
      conn = await connect(url);
    } catch (e) {
      throw new Error(CONNECT_ERROR_PREFIX + errorMessage(e), { cause: e });
    }
    const tls = conn as Partial<Deno.TlsConn>;
    if (typeof tls.handshake === "function") {
      try {
        await tls.handshake();
      } catch (e) {
        try {
          conn.close();
        } catch { /* closed */ }
        throw new Error(CONNECT_ERROR_PREFIX + errorMessage(e), { cause: e });
      }
    }
    return conn;
  }

  /** A fresh connection; an abort while connecting rejects at once (and closes it later). */
  async function open(url: URL, signal: AbortSignal | null): Promise<Connection> {
    const dialing = dial(url);
    if (signal === null) return new Connection(await dialing, all);
    const conn = await new Promise<Deno.Conn>((resolve, reject) => {
      const onAbort = () => {
        reject(signal.reason);
        dialing.then((c) => c.close(), () => {});
      };
      signal.addEventListener("abort", onAbort);
      dialing.then((c) => {
        signal.removeEventListener("abort", onAbort);
        resolve(c);
      }, (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      });
    });
    return new Connection(conn, all);
  }

  /** Reads one final response (skipping 1xx); sets `keep` on its head. */
  async function readResponse(c: Connection, method: string): Promise<[Response, boolean]> {
    let head: Head;
    for (;;) {
      head = parseHead(await c.readUntil(false, maxHeaderBytes, "response head"));
      if (head.status >= 200) break;
      if (head.status < 100 || head.status === 101) {
        throw new Error(`http1: unexpected status ${head.status}`);
      }
    }
    const status = head.status;
    if (status > 599) throw new Error(`http1: unexpected status ${status}`);
    let keep = head.keep;
    let body: Uint8Array | null = null;
    if (method === "HEAD" || status === 204 || status === 304) {
      // no body
    } else if (head.transferEncoding !== null) {
      const codings = tokens(head.transferEncoding);
      if (codings.length !== 1 || codings[0] !== "chunked") {
        throw new Error(`http1: unsupported Transfer-Encoding ${head.transferEncoding}`);
      }
      body = await readChunked(c);
      if (head.contentLength !== null) keep = false; // RFC 9112 §6.3: both present
    } else if (head.contentLength !== null) {
      if (!DIGITS.test(head.contentLength)) {
        throw new Error(`http1: malformed Content-Length ${JSON.stringify(head.contentLength)}`);
      }
      const n = Number(head.contentLength);
      if (n > maxBodyBytes) {
        throw new Error(`http1: response body of ${n} bytes exceeds ${maxBodyBytes} bytes`);
      }
      const taken = c.take(n);
      body = taken instanceof Uint8Array ? taken : await taken;
    } else {
      body = await readUntilEof(c);
      keep = false;
    }
    // Bytes beyond the response were never asked for (no pipelining): do not reuse.
    if (c.start !== c.end) keep = false;
    c.start = c.end = 0;
    const res = new Http1Response(
      body === null || body.length === 0 || status === 205 ? null : body,
      { status, statusText: head.statusText },
      head.headers,
    );
    return [res, keep];
  }

  async function readChunked(c: Connection): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const line = await c.readUntil(true, maxHeaderBytes, "chunk size line");
      const m = CHUNK_SIZE.exec(line);
      if (m === null) {
        throw new Error(`http1: malformed chunk size ${JSON.stringify(line.slice(0, 100))}`);
      }
      const size = parseInt(m[1], 16);
      if (size === 0) break;
      total += size;
      if (total > maxBodyBytes) {
        throw new Error(`http1: chunked response body exceeds ${maxBodyBytes} bytes`);
      }
      const taken = c.take(size);
      parts.push(taken instanceof Uint8Array ? taken : await taken);
      await c.expectCrlf();
    }
    // Trailers, up to the blank line: read and ignored.
    let trailerBytes = 0;
    for (;;) {
      const line = await c.readUntil(true, maxHeaderBytes - trailerBytes, "trailers");
      if (line === "") break;
      trailerBytes += line.length + 2;
    }
    return parts.length === 1 ? parts[0] : concatBytes(parts, total);
  }

  async function readUntilEof(c: Connection): Promise<Uint8Array> {
    do {
      if (c.end - c.start > maxBodyBytes) {
        throw new Error(`http1: response body exceeds ${maxBodyBytes} bytes`);
      }
    } while (await c.fill());
    const body = c.buf.slice(c.start, c.end);
    c.start = c.end;
    return body;
  }

  /** One request on `c`; throws StaleConnection when a reused connection turned out closed. */
  async function exchange(
    c: Connection,
    reused: boolean,
    bytes: Uint8Array,
    method: string,
    signal: AbortSignal | null,
  ): Promise<[Response, boolean]> {
    const onAbort = () => c.close();
    signal?.addEventListener("abort", onAbort);
    c.received = 0;
    try {
      try {
        const n = await c.conn.write(bytes);
        if (n < bytes.length) await writeAll(c.conn, bytes.subarray(n));
      } catch (e) {
        if (signal?.aborted) throw signal.reason;
        if (reused) throw new StaleConnection(errorMessage(e), { cause: e });
        throw new Error(`http1: writing the request failed: ${errorMessage(e)}`, { cause: e });
      }
      let out: [Response, boolean];
      try {
        out = await readResponse(c, method);
      } catch (e) {
        if (signal?.aborted) throw signal.reason;
        if (reused && c.received === 0 && isClosedOrReset(e)) {
          throw new StaleConnection(errorMessage(e), { cause: e });
        }
        if (e instanceof Error && e.message.startsWith("http1: ")) throw e;
        throw new Error(`http1: reading the response failed: ${errorMessage(e)}`, { cause: e });
      }
      // An abort that fired while the last read completed still wins: the caller gave up.
      if (signal?.aborted) throw signal.reason;
      return out;
    } catch (e) {
      c.close();
      throw e;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /**
   * Waits for the origin's connection to be free (requests on it never overlap). A call
   * waiting its turn notices an abort of its signal only when its turn comes.
   */
  function turn(origin: Origin): Promise<void> | undefined {
    if (!origin.busy) {
      origin.busy = true;
      return undefined;
    }
    return new Promise<void>((resolve) => origin.waiting.push(resolve));
  }

  /** Hands the origin to the next waiting request, if any. */
  function release(origin: Origin): void {
    const next = origin.waiting.shift();
    if (next === undefined) origin.busy = false;
    else next();
  }

  async function request(
    input: string | URL | Request,
    init?: Http1RequestInit,
  ): Promise<Response> {
    const signal = init?.signal ?? null;
    if (signal?.aborted) throw signal.reason;
    // Not `instanceof Request`: that would load Deno's lazily loaded Request module.
    if (typeof input !== "string" && !(input instanceof URL)) {
      throw new TypeError("http1: pass a URL or a string (Request objects are not supported)");
    }
    const t = target(input);
    const method = normalizeMethod(init?.method);
    if ((method === "GET" || method === "HEAD") && init?.body != null) {
      throw new TypeError(`http1: a ${method} request cannot have a body`);
    }
    const body = bodyBytes(init?.body);
    // The head before Content-Length repeats from request to request (the token changes
    // hourly): its bytes are kept, saving an encode per request.
    const head = method + t.lineAndHost + headerLines(init?.headers);
    if (head !== lastHead) {
      lastHeadBytes = headBytes(head);
      lastHead = head;
    }
    const bytes = requestBytes(lastHeadBytes, body);

    let origin = origins.get(t.origin);
    if (origin === undefined) {
      origin = { idle: null, busy: false, waiting: [] };
      origins.set(t.origin, origin);
    }
    const waiting = turn(origin);
    if (waiting !== undefined) await waiting;
    try {
      if (signal?.aborted) throw signal.reason;
      let c = origin.idle;
      origin.idle = null;
      let out: [Response, boolean] | null = null;
      if (c !== null && !c.closed) {
        try {
          out = await exchange(c, true, bytes, method, signal);
        } catch (e) {
          if (!(e instanceof StaleConnection)) throw e;
        }
      }
      if (out === null) {
        c = await open(t.url, signal);
        out = await exchange(c, false, bytes, method, signal);
      }
      if (out[1] && !c!.closed) origin.idle = c;
      else c!.close();
      return out[0];
    } finally {
      release(origin);
    }
  }

  const fetchLike = request as Http1Fetch;
  fetchLike.close = () => {
    for (const origin of origins.values()) origin.idle = null;
    for (const c of [...all]) c.close();
  };
  return fetchLike;
}

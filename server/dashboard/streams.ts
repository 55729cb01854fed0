/**
 * The dashboard's long-lived responses (its event stream, proxied live tails), tracked so
 * that shutting down ends them at once: otherwise a graceful shutdown would wait for every
 * open page until `SHUTDOWN_TIMEOUT`. Pages reconnect by themselves.
 */

/** Open streams, each ended by aborting its controller. */
export class StreamRegistry {
  readonly #open = new Set<AbortController>();
  #closed = false;

  /** Streams open now. */
  get size(): number {
    return this.#open.size;
  }

  /** A controller for a new stream (already aborted after `closeAll`); `release` it when the stream ends. */
  open(): AbortController {
    const ctrl = new AbortController();
    if (this.#closed) ctrl.abort();
    else this.#open.add(ctrl);
    return ctrl;
  }

  /** Forgets an ended stream. */
  release(ctrl: AbortController): void {
    this.#open.delete(ctrl);
  }

  /** Ends every open stream and every later one. */
  closeAll(): void {
    this.#closed = true;
    for (const c of this.#open) c.abort();
    this.#open.clear();
  }
}

/**
 * A copy of `body` that ends (and cancels `body`) when `signal` aborts, and cancels `body`
 * when the reader cancels it (the browser went away).
 */
export function endOnAbort(
  body: ReadableStream<Uint8Array>,
  signal: AbortSignal,
  onEnd: () => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    onEnd();
    reader.cancel().catch(() => {});
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      signal.addEventListener("abort", () => {
        end();
        try {
          controller.close();
        } catch {
          // already closed
        }
      }, { once: true });
    },
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          end();
          controller.close();
        } else {
          controller.enqueue(value);
        }
      } catch (e) {
        end();
        if (!signal.aborted) controller.error(e);
      }
    },
    cancel() {
      end();
    },
  });
}

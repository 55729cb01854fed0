/**
 * The `rejected/` folder of the state directory: batches the server refused for good
 * (a 4xx other than 401, 408 and 429), kept for the operator with the server's message
 * instead of being retried forever or dropped silently. Bounded: past `maxBytes` the
 * oldest files are deleted, counted and logged.
 *
 * One file per batch, `<UTC time>-<batch id>.json`:
 * `{"rejected_at":"…","status":400,"server_message":"…","batch":{…the batch as sent…}}`.
 */
import type { Logger } from "../../shared/log.ts";
import type { Counters } from "../counters.ts";
import type { SpoolFs } from "./spool_fs.ts";

/** What the store needs. */
export interface RejectedStoreOptions {
  dir: string;
  fs: SpoolFs;
  maxBytes: number;
  now: () => number;
  logger: Logger;
  counters: Counters;
}

/** Why and what the server refused. */
export interface Rejection {
  id: string;
  status: number;
  message: string;
  /** The request body (JSON) as sent. */
  body: Uint8Array;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Writes rejected batches into `dir`, oldest deleted beyond `maxBytes`. */
export class RejectedStore {
  #files: { name: string; size: number }[] = [];
  #bytes = 0;

  private constructor(private readonly o: RejectedStoreOptions) {}

  /** Opens (creating) the folder and takes stock of what is there. */
  static async open(o: RejectedStoreOptions): Promise<RejectedStore> {
    const store = new RejectedStore(o);
    await o.fs.ensureDir(o.dir);
    for (const name of (await o.fs.list(o.dir)).filter((n) => n.endsWith(".json")).sort()) {
      const size = await o.fs.size(`${o.dir}/${name}`);
      store.#files.push({ name, size });
      store.#bytes += size;
    }
    return store;
  }

  /** Stores one rejected batch durably; returns the file's path. */
  async save(r: Rejection): Promise<string> {
    const stamp = new Date(this.o.now()).toISOString().replace(/[-:]/g, "").replace(".", "_");
    const name = `${stamp}-${r.id.replace(/[^A-Za-z0-9._:-]/g, "_")}.json`;
    const text = `{"rejected_at":${JSON.stringify(new Date(this.o.now()).toISOString())},` +
      `"status":${r.status},"server_message":${JSON.stringify(r.message)},` +
      `"batch":${decoder.decode(r.body)}}\n`;
    const bytes = encoder.encode(text);
    const path = `${this.o.dir}/${name}`;
    await this.o.fs.writeAtomic(path, bytes);
    this.#files.push({ name, size: bytes.length });
    this.#bytes += bytes.length;
    await this.#prune();
    return path;
  }

  async #prune(): Promise<void> {
    let removed = 0;
    while (this.#bytes > this.o.maxBytes && this.#files.length > 1) {
      const f = this.#files.shift()!;
      await this.o.fs.remove(`${this.o.dir}/${f.name}`);
      this.#bytes -= f.size;
      removed++;
    }
    if (removed === 0) return;
    const total = this.o.counters.inc("rejected_files_pruned_total", {}, removed);
    this.o.logger.warn("rejected/ is over its size limit; oldest files deleted", {
      files: removed,
      max_bytes: this.o.maxBytes,
      pruned_total: total,
    });
  }
}

/**
 * The file system operations log tailing needs, behind an interface so the tailer opens no
 * files by itself (main.ts wires `denoLogFs`; tests use it on temporary directories, or wrap
 * it to inject faults).
 */

/** What `stat`/`fstat` tell about a file. */
export interface FileStat {
  dev: number;
  ino: number;
  size: number;
  isFile: boolean;
  mtimeMs: number | null;
}

/** A file opened for reading; the tailer holds it open so a renamed or deleted file stays readable. */
export interface OpenLogFile {
  /** fstat of the open file. */
  stat(): Promise<FileStat>;
  /**
   * The same, on the calling thread (no I/O for a regular file: microseconds, where `stat()`
   * hands over to a thread pool), for a look that must be quick; optional.
   */
  statNow?(): FileStat;
  /**
   * Reads into `buf` at `offset`; the number of bytes read, 0 at the end of the file. Calls may
   * overlap: each reads at its own offset.
   */
  readAt(buf: Uint8Array, offset: number): Promise<number>;
  close(): void;
}

/** One event of a directory watch: its kind (`Deno.FsEvent["kind"]`) and the paths it names. */
export interface DirEvent {
  kind: string;
  paths: string[];
}

/** A directory watch: `next()` resolves at the next event (only a hint). */
export interface DirWatch {
  /** Resolves when something happened in the directory; null once the watch is closed. */
  next(): Promise<DirEvent | null>;
  close(): void;
}

/** Everything log tailing does with the file system. Paths are absolute. */
export interface LogFs {
  /** stat (following symlinks); null when the path does not exist. */
  stat(path: string): Promise<FileStat | null>;
  /** Names of the entries of a directory; null when it does not exist. */
  readDir(dir: string): Promise<string[] | null>;
  open(path: string): Promise<OpenLogFile>;
  /** Watches a directory (not recursively); throws when it cannot (e.g. it does not exist). */
  watch(dir: string): DirWatch;
  /** The whole file, or null when it does not exist. */
  readFile(path: string): Promise<Uint8Array | null>;
  /**
   * Up to `n` bytes at `offset` of the file at `path`, read synchronously (a look that must be
   * quick); null when it cannot be read. Optional: without it there is no size sampling.
   */
  peekHead?(path: string, offset: number, n: number): Uint8Array | null;
  /** Replaces the file atomically: temporary file, fsync, rename, fsync of the directory. */
  writeAtomic(path: string, data: Uint8Array): Promise<void>;
  /** Creates a directory and its parents when missing. */
  ensureDir(path: string): Promise<void>;
}

function toStat(info: Deno.FileInfo): FileStat {
  return {
    dev: info.dev ?? 0,
    ino: info.ino ?? 0,
    size: info.size,
    isFile: info.isFile,
    mtimeMs: info.mtime?.getTime() ?? null,
  };
}

function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

async function writeAll(file: Deno.FsFile, data: Uint8Array): Promise<void> {
  let done = 0;
  while (done < data.length) done += await file.write(data.subarray(done));
}

/** LogFs on Deno's file API. */
export function denoLogFs(): LogFs {
  return {
    async stat(path) {
      try {
        return toStat(await Deno.stat(path));
      } catch (e) {
        if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
          return null;
        }
        throw e;
      }
    },
    async readDir(dir) {
      try {
        const names: string[] = [];
        for await (const e of Deno.readDir(dir)) names.push(e.name);
        return names;
      } catch (e) {
        if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
          return null;
        }
        throw e;
      }
    },
    async open(path) {
      const file = await Deno.open(path, { read: true });
      let position = 0;
      // A seek then a read: one at a time, or two reads at once would cross (the tailer reads
      // while a look after a watch event checks the fingerprint).
      let last: Promise<unknown> = Promise.resolve();
      const readAt = async (buf: Uint8Array, offset: number) => {
        if (position !== offset) {
          position = -1;
          await file.seek(offset, Deno.SeekMode.Start);
          position = offset;
        }
        const n = await file.read(buf);
        if (n === null) return 0;
        position += n;
        return n;
      };
      return {
        stat: async () => toStat(await file.stat()),
        statNow: () => toStat(file.statSync()),
        readAt(buf, offset) {
          const run = () => readAt(buf, offset);
          const p = last.then(run, run);
          last = p.catch(() => {});
          return p;
        },
        close: () => {
          try {
            file.close();
          } catch { /* already closed */ }
        },
      };
    },
    watch(dir) {
      const watcher = Deno.watchFs(dir, { recursive: false });
      const it = watcher[Symbol.asyncIterator]();
      let closed = false;
      return {
        async next() {
          if (closed) return null;
          try {
            const r = await it.next();
            return r.done ? null : { kind: r.value.kind, paths: r.value.paths };
          } catch {
            return null;
          }
        },
        close() {
          if (closed) return;
          closed = true;
          try {
            watcher.close();
          } catch { /* already closed */ }
        },
      };
    },
    peekHead(path, offset, n) {
      let file: Deno.FsFile | null = null;
      try {
        file = Deno.openSync(path, { read: true });
        if (offset > 0) file.seekSync(offset, Deno.SeekMode.Start);
        const buf = new Uint8Array(n);
        let got = 0;
        while (got < n) {
          const r = file.readSync(buf.subarray(got));
          if (r === null || r === 0) break;
          got += r;
        }
        return buf.subarray(0, got);
      } catch {
        return null;
      } finally {
        file?.close();
      }
    },
    async readFile(path) {
      try {
        return await Deno.readFile(path);
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) return null;
        throw e;
      }
    },
    async writeAtomic(path, data) {
      const tmp = `${path}.tmp`;
      const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
      try {
        await writeAll(file, data);
        await file.sync();
      } finally {
        file.close();
      }
      await Deno.rename(tmp, path);
      const dir = await Deno.open(dirOf(path), { read: true });
      try {
        await dir.sync();
      } finally {
        dir.close();
      }
    },
    ensureDir: (path) => Deno.mkdir(path, { recursive: true }),
  };
}

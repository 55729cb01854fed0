/**
 * The real SpoolFs on Deno's file API (wired in main.ts; used by tests on temporary
 * directories).
 *
 * The calls on the agent's path of every tick (open, write, fdatasync, fsync, rename,
 * close) are synchronous: an asynchronous file call costs a hand-off to a worker thread,
 * measured at about 0.2 ms of CPU each on top of the call itself, and at a 10 s interval
 * those hand-offs alone would spend a good part of the agent's CPU budget (under 1 s per
 * hour). The price: an fsync on a very slow disk holds the event loop meanwhile; the spool
 * waits for it in any case, since a batch is not spooled until it is on disk.
 */
import type { AppendFile, SpoolFs } from "./spool_fs.ts";

function writeAll(file: Deno.FsFile, data: Uint8Array): void {
  let done = 0;
  while (done < data.length) done += file.writeSync(data.subarray(done));
}

function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

/**
 * fsync of a directory or file by path (`dataOnly`: fdatasync); with `missingOk`, a path
 * that does not exist has nothing to sync.
 */
function syncPath(path: string, dataOnly = false, missingOk = false): Promise<void> {
  return settle(() => {
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(path, { read: true });
    } catch (e) {
      if (missingOk && e instanceof Deno.errors.NotFound) return;
      throw e;
    }
    try {
      if (dataOnly) file.syncDataSync();
      else file.syncSync();
    } finally {
      file.close();
    }
  });
}

const syncDir = (path: string) => syncPath(path);

/** Runs a synchronous call as a settled promise (errors become rejections). */
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e);
  }
}

/** SpoolFs on the local file system. */
export function denoSpoolFs(): SpoolFs {
  return {
    ensureDir: (path) => Deno.mkdir(path, { recursive: true }),
    async list(dir) {
      const names: string[] = [];
      for await (const e of Deno.readDir(dir)) if (e.isFile) names.push(e.name);
      return names;
    },
    async readFile(path) {
      try {
        return await Deno.readFile(path);
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) return null;
        throw e;
      }
    },
    readAt(path, offset, length) {
      const file = Deno.openSync(path, { read: true });
      try {
        file.seekSync(offset, Deno.SeekMode.Start);
        const out = new Uint8Array(length);
        let got = 0;
        while (got < length) {
          const n = file.readSync(out.subarray(got));
          if (n === null) throw new Error(`${path}: ${length} bytes at ${offset} past the end`);
          got += n;
        }
        return Promise.resolve(out);
      } catch (e) {
        return Promise.reject(e);
      } finally {
        file.close();
      }
    },
    openAppend(path): Promise<AppendFile> {
      const file = Deno.openSync(path, { append: true, create: true });
      return Promise.resolve({
        write: (data) => {
          try {
            writeAll(file, data);
            return Promise.resolve();
          } catch (e) {
            return Promise.reject(e);
          }
        },
        sync: () => settle(() => file.syncDataSync()),
        close: () => file.close(),
      });
    },
    writeAtomic: (path, data, opts) =>
      settle(() => {
        const tmp = `${path}.tmp`;
        const file = Deno.openSync(tmp, { write: true, create: true, truncate: true });
        try {
          writeAll(file, data);
          file.syncSync();
        } finally {
          file.close();
        }
        Deno.renameSync(tmp, path);
      }).then(() => opts?.syncDir === false ? undefined : syncDir(dirOf(path))),
    async truncate(path, length) {
      const file = Deno.openSync(path, { write: true });
      try {
        file.truncateSync(length);
        await file.sync();
      } finally {
        file.close();
      }
    },
    syncFile: (path) => syncPath(path, true, true),
    remove(path) {
      try {
        Deno.removeSync(path);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) return Promise.reject(e);
      }
      return Promise.resolve();
    },
    syncDir,
    size: async (path) => (await Deno.stat(path)).size,
    async lockExclusive(path, timeoutMs) {
      // Deno has no non-blocking flock: wait for it in the background, give up after timeoutMs.
      const file = await Deno.open(path, { read: true, write: true, create: true });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<false>((r) => timer = setTimeout(() => r(false), timeoutMs));
      const locked = file.lock(true).then(() => true as const, () => false as const);
      const got = await Promise.race([locked, timedOut]);
      clearTimeout(timer);
      if (!got) {
        file.close();
        return null;
      }
      return { release: () => file.close() };
    },
  };
}

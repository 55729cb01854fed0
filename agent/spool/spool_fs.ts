/**
 * The file operations the spool needs, behind an interface so the spool itself opens no
 * files (main.ts wires the real `denoSpoolFs`) and tests can inject faults.
 */

/** A file opened for appending. */
export interface AppendFile {
  /** Writes all of `data` at the end of the file. */
  write(data: Uint8Array): Promise<void>;
  /** fdatasync: the data written so far survives a power loss. */
  sync(): Promise<void>;
  close(): void;
}

/** Everything the spool does with the file system. Paths are absolute. */
export interface SpoolFs {
  /** Creates the directory and its parents when missing. */
  ensureDir(path: string): Promise<void>;
  /** Names of the regular files in a directory. */
  list(dir: string): Promise<string[]>;
  /** The whole file, or null when it does not exist. */
  readFile(path: string): Promise<Uint8Array | null>;
  /** `length` bytes at `offset`; throws when the file is shorter. */
  readAt(path: string, offset: number, length: number): Promise<Uint8Array>;
  /** Opens for appending, creating the file when missing. */
  openAppend(path: string): Promise<AppendFile>;
  /**
   * Replaces the file atomically: temporary file, fsync, rename, and (when `syncDir`, the
   * default) fsync of the directory so the new content also survives a power loss.
   */
  writeAtomic(path: string, data: Uint8Array, opts?: { syncDir?: boolean }): Promise<void>;
  /** Cuts the file to `length` bytes and syncs it. */
  truncate(path: string, length: number): Promise<void>;
  /** Removes a file; a missing file is not an error. */
  remove(path: string): Promise<void>;
  /**
   * fdatasync of a file by path (data written through any handle); a missing file is not an
   * error (nothing to sync).
   */
  syncFile(path: string): Promise<void>;
  /** fsync of a directory, so created and removed names survive a power loss. */
  syncDir(path: string): Promise<void>;
  /** The size of a file in bytes. */
  size(path: string): Promise<number>;
  /**
   * Takes an exclusive lock on `path` (created when missing) until released or the process
   * ends; null when another holder keeps it for longer than `timeoutMs`.
   */
  lockExclusive(path: string, timeoutMs: number): Promise<{ release(): void } | null>;
}

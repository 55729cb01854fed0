/** The `statfs` the filesystem collector is given: the real one in main.ts, fakes in tests. */

/** The `struct statvfs` fields MiniObserv uses; counts are in units of `frsize` bytes. */
export interface StatfsResult {
  frsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
}

/** Asks the kernel for the usage of the file system mounted at `path`; may hang on a dead mount. */
export type Statfs = (path: string) => Promise<StatfsResult>;

/** The same, on the calling thread: blocks it for as long as the kernel takes. */
export type StatfsSync = (path: string) => StatfsResult;

/**
 * Local file systems whose statfs the kernel answers from counters in memory, without waiting on
 * a device, a server or a lock a long operation may hold. Anything else may hang: NFS, CIFS,
 * FUSE, Ceph, 9p, and also btrfs and ZFS (their statfs takes locks a balance or a pool import
 * can hold for long) and unknown types.
 */
export const LOCAL_FS_TYPES = /^(ext[234]|xfs|f2fs|jfs|reiserfs|vfat|msdos|exfat|tmpfs|ramfs)$/;

/** True when a statfs on a file system of type `fsType` cannot hang (see `LOCAL_FS_TYPES`). */
export function answersFromMemory(fsType: string): boolean {
  return LOCAL_FS_TYPES.test(fsType);
}

/** Sizes as `df` shows them: used is what is not free; percent over what non-root users can use. */
export interface FilesystemUsage {
  totalBytes: number;
  usedBytes: number;
  /** null when the file system has no usable space at all (df prints "-"). */
  usedPct: number | null;
}

/** Computes `df`'s numbers from a statfs result. */
export function filesystemUsage(s: StatfsResult): FilesystemUsage {
  const totalBytes = s.blocks * s.frsize;
  const usedBytes = (s.blocks - s.bfree) * s.frsize;
  const usable = usedBytes + s.bavail * s.frsize;
  return { totalBytes, usedBytes, usedPct: usable > 0 ? usedBytes / usable * 100 : null };
}

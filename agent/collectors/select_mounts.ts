/** Which mounts the filesystem collector reports: node_exporter's filters, each file system once. */
import type { MountInfo } from "../proc/parse_mountinfo.ts";
import { DEFAULT_FS_TYPES_EXCLUDE, DEFAULT_MOUNT_POINTS_EXCLUDE } from "./defaults.ts";

/** Mount-point and file-system-type exclusions. */
export interface MountFilter {
  mountPointsExclude: RegExp;
  fsTypesExclude: RegExp;
}

/** node_exporter's defaults. */
export const DEFAULT_MOUNT_FILTER: MountFilter = {
  mountPointsExclude: DEFAULT_MOUNT_POINTS_EXCLUDE,
  fsTypesExclude: DEFAULT_FS_TYPES_EXCLUDE,
};

/**
 * Drops excluded mounts, then keeps one mount per device (`major:minor`): a bind mount
 * shows the same space again. The mount of the file system's root wins, else the first.
 */
export function selectMounts(mounts: readonly MountInfo[], filter: MountFilter): MountInfo[] {
  const byDevice = new Map<string, MountInfo>();
  for (const m of mounts) {
    if (filter.mountPointsExclude.test(m.mountPoint) || filter.fsTypesExclude.test(m.fsType)) {
      continue;
    }
    const kept = byDevice.get(m.device);
    if (!kept || (kept.root !== "/" && m.root === "/")) byDevice.set(m.device, m);
  }
  return [...byDevice.values()];
}

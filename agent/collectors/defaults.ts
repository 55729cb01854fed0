/**
 * Default filters, spelled out once. The mount, file-system and disk defaults are
 * node_exporter's (collector/filesystem_linux.go, collector/diskstats_linux.go).
 */

/** Mount points not reported: kernel and runtime pseudo trees, container layers. */
export const DEFAULT_MOUNT_POINTS_EXCLUDE =
  /^\/(dev|proc|run\/credentials\/.+|sys|var\/lib\/docker\/.+|var\/lib\/containers\/storage\/.+)($|\/)/;

/** File-system types not reported: virtual, read-only images and overlays. */
export const DEFAULT_FS_TYPES_EXCLUDE =
  /^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|erofs|sysfs|tracefs)$/;

/** Block devices not reported by disk I/O: partitions, RAM disks, loop and floppy devices. */
export const DEFAULT_DISK_DEVICES_EXCLUDE = /^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$/;

/** Interfaces not reported by default. */
export const DEFAULT_NET_EXCLUDE: readonly RegExp[] = [/^lo$/];

/** How long one `statfs` call may take before its mount is skipped as stuck. */
export const STATFS_TIMEOUT_MS = 5000;

/** Bytes per sector in `/proc/diskstats`, fixed by the kernel whatever the device's own size. */
export const DISKSTATS_SECTOR_BYTES = 512;

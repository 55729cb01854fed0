import assert from "node:assert/strict";
import { decodeMountEscapes, parseMountinfo } from "../../../agent/proc/parse_mountinfo.ts";
import { fixture } from "../helpers.ts";

Deno.test("parseMountinfo: real /proc/self/mountinfo of the VM", () => {
  const mounts = parseMountinfo(fixture("vm/self_mountinfo"));
  assert.equal(mounts.length, 20);
  // "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard,…"
  assert.deepEqual(mounts.find((m) => m.mountPoint === "/"), {
    device: "254:0",
    root: "/",
    mountPoint: "/",
    fsType: "ext4",
    source: "/dev/vda",
  });
});

Deno.test("parseMountinfo: octal escapes are decoded in mount point, root and source", () => {
  const mounts = parseMountinfo(fixture("edge/mountinfo_edge"));
  assert.equal(mounts[1].mountPoint, "/mnt/my disk");
  const nfs = mounts.find((m) => m.fsType === "nfs4")!;
  assert.equal(nfs.mountPoint, "/mnt/tab\tand\\back");
  assert.equal(nfs.source, "server:/export dir");
  assert.equal(mounts.find((m) => m.mountPoint === "/opt/app")!.root, "/var/lib/app");
});

Deno.test("parseMountinfo: several optional fields before the separator", () => {
  const boot = parseMountinfo(fixture("edge/mountinfo_edge")).find((m) => m.mountPoint === "/boot");
  assert.deepEqual(boot, {
    device: "8:3",
    root: "/",
    mountPoint: "/boot",
    fsType: "vfat",
    source: "/dev/sda3",
  });
});

Deno.test("parseMountinfo: a line without the separator is refused, naming it", () => {
  assert.throws(
    () => parseMountinfo(fixture("edge/mountinfo_no_separator")),
    /line 1 .*expected 6 fields, optional fields, then "-"/,
  );
  assert.throws(
    () => parseMountinfo("1 2 8:1 / / rw - ext4\n"),
    /line 1 .*a file-system type and a source/,
  );
  assert.throws(
    () => parseMountinfo("1 2 sda / / rw - ext4 /dev/sda rw\n"),
    /"sda" is not major:minor/,
  );
});

Deno.test("decodeMountEscapes: space, tab, newline, backslash; plain text untouched", () => {
  assert.equal(decodeMountEscapes("a\\040b\\011c\\012d\\134e"), "a b\tc\nd\\e");
  assert.equal(decodeMountEscapes("/plain/path"), "/plain/path");
});

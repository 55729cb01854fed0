/**
 * Every parser's fast path (see agent/proc/parse_error.ts) against its strict line-by-line
 * path: on the real captures the fast path is taken and gives the same result; on every
 * fixture and on altered copies of it (CRLF, blank lines, tabs, extra spaces, no final
 * newline, cut or spoiled lines) the parser gives exactly what the strict path gives, the same
 * result or the same error.
 */
import assert from "node:assert/strict";
import {
  parseDiskstats,
  parseDiskstatsByLine,
  parseDiskstatsFast,
} from "../../../agent/proc/parse_diskstats.ts";
import {
  parseLoadavg,
  parseLoadavgByField,
  parseLoadavgFast,
} from "../../../agent/proc/parse_loadavg.ts";
import {
  parseMeminfo,
  parseMeminfoByLine,
  parseMeminfoFast,
  parseMeminfoKeys,
} from "../../../agent/proc/parse_meminfo.ts";
import {
  parseMountinfo,
  parseMountinfoByLine,
  parseMountinfoFast,
} from "../../../agent/proc/parse_mountinfo.ts";
import {
  parseNetDev,
  parseNetDevByLine,
  parseNetDevFast,
} from "../../../agent/proc/parse_net_dev.ts";
import {
  parseProcStat,
  parseProcStatByLine,
  parseProcStatFast,
} from "../../../agent/proc/parse_proc_stat.ts";
import { fixture } from "../helpers.ts";

interface Paths {
  parse: (text: string) => unknown;
  fast: (text: string) => unknown;
  strict: (text: string) => unknown;
  /** Fixtures of this format: real captures (`vm/`) first, hand-written edge cases after. */
  real: string[];
  edge: string[];
}

const FORMATS: Record<string, Paths> = {
  meminfo: {
    parse: parseMeminfo,
    fast: parseMeminfoFast,
    strict: parseMeminfoByLine,
    real: ["vm/meminfo"],
    edge: ["edge/meminfo_small", "edge/meminfo_no_available", "edge/meminfo_bad_value"],
  },
  mountinfo: {
    parse: parseMountinfo,
    fast: parseMountinfoFast,
    strict: parseMountinfoByLine,
    real: ["vm/self_mountinfo"],
    edge: ["edge/mountinfo_edge", "edge/mountinfo_no_separator"],
  },
  diskstats: {
    parse: parseDiskstats,
    fast: parseDiskstatsFast,
    strict: parseDiskstatsByLine,
    real: ["vm/diskstats.1", "vm/diskstats.2"],
    edge: ["edge/diskstats_reset.1", "edge/diskstats_reset.2", "edge/diskstats_truncated"],
  },
  stat: {
    parse: parseProcStat,
    fast: parseProcStatFast,
    strict: parseProcStatByLine,
    real: ["vm/stat.1", "vm/stat.2"],
    edge: [
      "edge/stat_backwards.1",
      "edge/stat_backwards.2",
      "edge/stat_hotplug.1",
      "edge/stat_hotplug.2",
      "edge/stat_hotplug.3",
      "edge/stat_no_cpu_line",
      "edge/stat_not_a_number",
      "edge/stat_old_kernel",
      "edge/stat_truncated",
    ],
  },
  netDev: {
    parse: parseNetDev,
    fast: parseNetDevFast,
    strict: parseNetDevByLine,
    real: ["vm/net_dev.1", "vm/net_dev.2"],
    edge: ["edge/net_dev_wrap.1", "edge/net_dev_wrap.2", "edge/net_dev_truncated"],
  },
  loadavg: {
    parse: parseLoadavg,
    fast: parseLoadavgFast,
    strict: parseLoadavgByField,
    real: ["vm/loadavg"],
    edge: ["edge/loadavg_busy", "edge/loadavg_not_a_number", "edge/loadavg_missing_fields"],
  },
};

/** A parse's outcome, comparable with deepEqual: its result, or its error's class and message. */
function outcome(parse: (text: string) => unknown, text: string): unknown {
  try {
    return { result: parse(text) };
  } catch (e) {
    return { error: (e as Error).constructor.name, message: (e as Error).message };
  }
}

/** Altered copies of `text`: layouts the kernel does not print, and broken lines. */
function variants(text: string): string[] {
  const lines = text.split("\n");
  const withLine = (i: number, line: string) => lines.map((l, j) => j === i ? line : l).join("\n");
  const out = [
    text,
    "",
    "\n",
    text.replaceAll("\n", "\r\n"),
    text.replace(/\n$/, ""),
    text + "\n",
    `\n${text}`,
    text.replace("\n", "\n\n"),
    text.replaceAll("\n", "  \n"),
    text.replaceAll("\n", "\n  "),
    `  ${text}`,
    text.replaceAll(" ", "\t"),
    text.replace(" ", "\t"),
    text.replaceAll(" ", "  "),
    text.replaceAll(" - ", " -  "),
    text.replaceAll(":", " :"),
    text.replaceAll(" kB", " MB"),
    text.replaceAll("cpu", " cpu"),
  ];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    out.push(withLine(i, line.slice(0, Math.floor(line.length / 2))));
    out.push(withLine(i, line.replace(/\d+/, "x1")));
    out.push(withLine(i, line.replace(/(\d) /, "$1| ")));
    out.push(withLine(i, line.replace(/ \S+$/, "")));
    out.push(withLine(i, `${line} -`));
    out.push(withLine(i, `${line} 7`));
    out.push(withLine(i, `${line}\t|`));
    out.push(withLine(i, `${line}|`));
    const tokens = line.split(" ");
    for (let at = 0; at < tokens.length; at++) {
      const t = tokens[at];
      for (const token of ["-", "x", `${t}x`, `${t}|`, `${t}:`, `${t}\tx`]) {
        out.push(withLine(i, tokens.map((u, j) => j === at ? token : u).join(" ")));
      }
    }
  }
  return out;
}

for (const [format, paths] of Object.entries(FORMATS)) {
  Deno.test(`${format}: the real captures take the fast path, with the strict path's result`, () => {
    for (const name of paths.real) {
      const text = fixture(name);
      const fast = paths.fast(text);
      assert.notEqual(fast, null, `${name}: fast path refused a real capture`);
      assert.deepEqual(fast, paths.strict(text), name);
      assert.deepEqual(paths.parse(text), paths.strict(text), name);
    }
  });

  Deno.test(`${format}: on every fixture and altered copy, exactly the strict path's outcome`, () => {
    for (const name of [...paths.real, ...paths.edge]) {
      for (const text of variants(fixture(name))) {
        const fast = paths.fast(text);
        if (fast !== null) {
          assert.deepEqual(fast, paths.strict(text), `${name}: ${JSON.stringify(text)}`);
        }
        assert.deepEqual(
          outcome(paths.parse, text),
          outcome(paths.strict, text),
          `${name}: ${JSON.stringify(text)}`,
        );
      }
    }
  });
}

Deno.test("mountinfo: a lone - among the optional fields is the separator, as the strict path reads it", () => {
  const text = "20 1 8:1 / / rw shared:1 - ext4  /dev/sda1 - xfs /dev/sdb rw\n";
  assert.equal(parseMountinfoFast(text), null);
  assert.deepEqual(parseMountinfo(text), parseMountinfoByLine(text));
  assert.equal(parseMountinfo(text)[0].fsType, "ext4");
  assert.equal(parseMountinfo(text)[0].source, "");
});

Deno.test("stat: a cpu line after the others is read by the strict path", () => {
  const text = "cpu  1 2 3 4 5 6 7 8\ncpu0 1 2 3 4 5 6 7 8\nintr 1\ncpu1 2 2 3 4 5 6 7 8\n";
  assert.equal(parseProcStatFast(text), null);
  assert.deepEqual([...parseProcStat(text).cores.keys()], [0, 1]);
});

Deno.test("meminfo: parseMeminfoKeys gives parseMeminfo's values of those keys, or its error", () => {
  const keys = ["MemTotal", "MemAvailable", "HugePages_Total", "Hugepagesize", "NoSuchKey"];
  const picked = (text: string) => {
    const all = parseMeminfoByLine(text);
    return new Map(keys.filter((k) => all.has(k)).map((k) => [k, all.get(k)]));
  };
  const texts = [...FORMATS.meminfo.real, ...FORMATS.meminfo.edge].flatMap((name) =>
    variants(fixture(name))
  );
  texts.push("MemTotal: 1 kB\nMemTotal: 2 kB\nMemAvailable: 3\nMemAvailable: 4 kB\n");
  for (const text of texts) {
    assert.deepEqual(outcome((t) => parseMeminfoKeys(t, keys), text), outcome(picked, text), text);
  }
  assert.deepEqual(
    parseMeminfoKeys(fixture("vm/meminfo"), ["MemTotal", "MemAvailable"]),
    new Map([["MemTotal", 24684084 * 1024], ["MemAvailable", 24108544 * 1024]]),
  );
  assert.deepEqual(
    parseMeminfoKeys("MemTotal: 1 kB\nMemTotal: 2 kB\nMemAvailable: 3\n", [
      "MemTotal",
      "MemAvailable",
    ]),
    new Map([["MemTotal", 2048], ["MemAvailable", 3]]),
  );
});

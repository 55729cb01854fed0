import assert from "node:assert/strict";
import {
  ConfigError,
  readBoolean,
  readDuration,
  readEnum,
  readHttpUrl,
  readInteger,
  readPatternList,
} from "../../shared/config_env.ts";

Deno.test("config_env: durations within range, named errors otherwise", () => {
  assert.equal(readDuration({}, "X", 10_000, 1000, 300_000), 10_000);
  assert.equal(readDuration({ X: " 5s " }, "X", 10_000, 1000, 300_000), 5000);
  assert.throws(() => readDuration({ X: "10" }, "X", 1, 1, 2), {
    name: "Error",
    message: 'X="10" is not a duration; use a number with ms, s, m, h or d (e.g. 10s)',
  });
  assert.throws(
    () => readDuration({ X: "500ms" }, "X", 10_000, 1000, 300_000),
    new ConfigError('X="500ms" is out of range; allowed 1s to 5m'),
  );
});

Deno.test("config_env: integers, enums, booleans, urls, patterns", () => {
  assert.equal(readInteger({ N: "7" }, "N", 1, 0, 10), 7);
  assert.throws(() => readInteger({ N: "7.5" }, "N", 1, 0, 10), /N="7.5" is not a whole number/);
  assert.throws(() => readInteger({ N: "11" }, "N", 1, 0, 10), /allowed 0 to 10/);
  assert.equal(readEnum({ L: "warn" }, "L", ["info", "warn"] as const, "info"), "warn");
  assert.throws(
    () => readEnum({ L: "loud" }, "L", ["info", "warn"] as const, "info"),
    /use one of info, warn/,
  );
  assert.equal(readBoolean({ B: "yes" }, "B", false), true);
  assert.throws(() => readBoolean({ B: "maybe" }, "B", false), /B="maybe" is not a boolean/);
  assert.equal(readHttpUrl({ U: "https://x.example:8443/" }, "U").port, "8443");
  assert.throws(() => readHttpUrl({ U: "ftp://x" }, "U"), /must use http:\/\/ or https:\/\//);
  assert.throws(() => readHttpUrl({}, "U"), /U is required/);
  assert.deepEqual(readPatternList({ P: "^eth, ^wl" }, "P", []).map(String), ["/^eth/", "/^wl/"]);
  assert.throws(
    () => readPatternList({ P: "([" }, "P", []),
    /P: "\(\[" is not a valid regular expression/,
  );
});

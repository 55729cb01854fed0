import assert from "node:assert/strict";
import { parseAgentArgs } from "../../agent/args.ts";

Deno.test("parseAgentArgs: --once, --help, nothing, and unknown arguments", () => {
  assert.deepEqual(parseAgentArgs([]), { once: false, help: false, report: false });
  assert.deepEqual(parseAgentArgs(["--once"]), { once: true, help: false, report: false });
  assert.deepEqual(parseAgentArgs(["-h"]), { once: false, help: true, report: false });
  assert.deepEqual(parseAgentArgs(["--report"]), { once: false, help: false, report: true });
  assert.throws(() => parseAgentArgs(["--onse"]), /unknown argument "--onse"\nusage:/);
});

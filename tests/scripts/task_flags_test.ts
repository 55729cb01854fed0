import assert from "node:assert/strict";
import { TARGETS } from "../../scripts/compile_targets.ts";
import { agentTaskFlags, serverTaskFlags, taskFlags } from "../../scripts/task_flags.ts";

Deno.test("task flags: the tasks and the compiled executables run with the same flags", () => {
  const baked = (name: string) => TARGETS.find((t) => t.name === name)!.permissions;
  assert.deepEqual(agentTaskFlags(), baked("miniobserv-agent"));
  assert.deepEqual(serverTaskFlags(), baked("miniobserv-server"));
});

Deno.test("task flags: a task that is not `deno run <flags> <entry>` is an error naming it", () => {
  assert.throws(() => taskFlags("agent", "server/main.ts"), /task agent is not/);
  assert.throws(() => taskFlags("no-such-task", "x.ts"), /task no-such-task is not/);
});

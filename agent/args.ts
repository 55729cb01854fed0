/** Command-line arguments of the agent: `--once` and `--help`, nothing else. */

/** What the command line asks for. */
export interface AgentArgs {
  once: boolean;
  help: boolean;
  report: boolean;
}

/** How to run the agent, printed by `--help` and on a bad argument. */
export const USAGE = `usage: miniobserv-agent [--once]

  --once   collect one complete round (two samples one second apart, so rates exist),
           print it as a JSON MetricBatch on stdout and exit; needs no server
  --report at shutdown, print the self-report (metrics, memory snapshots, analysis,
           advice) as one JSON line on stdout
  --help   print this text

Configuration comes from environment variables; see README.md.`;

/** Parses the arguments; throws on anything unknown. */
export function parseAgentArgs(args: readonly string[]): AgentArgs {
  const out: AgentArgs = { once: false, help: false, report: false };
  for (const arg of args) {
    if (arg === "--once") out.once = true;
    else if (arg === "--help" || arg === "-h") out.help = true;
    else if (arg === "--report") out.report = true;
    else throw new Error(`unknown argument ${JSON.stringify(arg)}\n${USAGE}`);
  }
  return out;
}

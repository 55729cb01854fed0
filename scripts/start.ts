/**
 * `deno task start`: MiniObserv on one machine in one command.
 *
 * Starts the server on the embedded database (PGlite in `MINIOBSERV_DATA_DIR`, default
 * `./data`) bound to 127.0.0.1, and an agent for this host sending to it, then prints the
 * dashboard URL. When `AGENT_TOKEN` is not set, a secret is generated once into
 * `<data dir>/agent_token` with mode 0600 and reused on later starts.
 *
 * The dashboard: on a loopback address (the default 127.0.0.1) with neither
 * `DASHBOARD_PASSWORD` nor `DASHBOARD_AUTH` set, nobody needs to sign in
 * (`DASHBOARD_AUTH=none`, which the server refuses on any other address) and the page says
 * so; otherwise people sign in with the password or a read token.
 *
 * Both programs run as child processes with their own permissions; Ctrl-C (or SIGTERM)
 * stops both gracefully.
 */
import { isLoopback } from "../server/dashboard/config.ts";
import { ensureSecret } from "./secret_file.ts";

const env = Deno.env.toObject();
const dataDirSetting = env.MINIOBSERV_DATA_DIR ?? "./data";
const listen = env.LISTEN_ADDR ?? "127.0.0.1:8080";
const [listenHost, listenPort] = [
  listen.slice(0, listen.lastIndexOf(":")),
  listen.slice(listen.lastIndexOf(":") + 1),
];

await Deno.mkdir(dataDirSetting, { recursive: true });
// Absolute, so both programs agree whatever their working directory (the agent requires it).
const dataDir = await Deno.realPath(dataDirSetting);
let secret = env.AGENT_TOKEN;
if (!secret) {
  const { secret: s, path, created } = await ensureSecret(`${dataDir}/agent_token`);
  secret = s;
  console.error(
    created
      ? `start: generated an agent secret into ${path} (mode 0600); agents need it as AGENT_TOKEN`
      : `start: using the agent secret in ${path}`,
  );
}

const deno = Deno.execPath();
const root = new URL("../", import.meta.url).pathname;
const common = { ...env, AGENT_TOKEN: secret, MINIOBSERV_DATA_DIR: dataDir };
// One machine, loopback only, no password chosen: the dashboard needs no sign-in.
const openDashboard = isLoopback(listenHost) && !env.DASHBOARD_PASSWORD && !env.DASHBOARD_AUTH;
const serverEnv: Record<string, string> = { ...common, LISTEN_ADDR: listen };
if (openDashboard) serverEnv.DASHBOARD_AUTH = "none";

const server = new Deno.Command(deno, {
  args: ["task", "--quiet", "server"],
  cwd: root,
  env: serverEnv,
  stdin: "null",
}).spawn();

const urlHost = listenHost === "0.0.0.0" || listenHost === "" ? "127.0.0.1" : listenHost;
const baseUrl = `http://${urlHost.includes(":") ? `[${urlHost}]` : urlHost}:${listenPort}`;

async function waitReady(): Promise<boolean> {
  for (let i = 0; i < 600; i++) {
    try {
      const r = await fetch(`${baseUrl}/readyz`);
      await r.body?.cancel();
      if (r.ok) return true;
    } catch {
      // not listening yet
    }
    const status = await Promise.race([
      server.status.then((s) => s),
      new Promise<null>((r) => setTimeout(() => r(null), 100)),
    ]);
    if (status) return false;
  }
  return false;
}

if (!await waitReady()) {
  console.error("start: the server did not become ready; see its log above");
  try {
    server.kill("SIGTERM");
  } catch { /* already gone */ }
  Deno.exit(1);
}

const agent = new Deno.Command(deno, {
  args: ["task", "--quiet", "agent"],
  cwd: root,
  env: {
    ...common,
    SERVER_URL: baseUrl,
    AGENT_STATE_DIR: env.AGENT_STATE_DIR ?? `${dataDir}/agent`,
  },
  stdin: "null",
}).spawn();

const signIn = openDashboard || env.DASHBOARD_AUTH === "none"
  ? "no sign-in: this address is loopback only; set DASHBOARD_PASSWORD to require one"
  : env.DASHBOARD_PASSWORD
  ? "sign in with DASHBOARD_PASSWORD or a read token"
  : "sign in with a read token: deno task token --scope read";
console.log(
  `\nMiniObserv is running (server on the embedded database, agent for this host).\n` +
    `  Dashboard: ${baseUrl}/  (${signIn})\n` +
    `  API:       ${baseUrl}/api/v1/hosts  (read token: deno task token --scope read)\n` +
    `  Stop with Ctrl-C.\n`,
);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  console.error("start: stopping agent and server");
  for (const p of [agent, server]) {
    try {
      p.kill("SIGTERM");
    } catch { /* already gone */ }
  }
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);

const [a, s] = await Promise.all([agent.status, server.status]);
Deno.exit(stopping ? 0 : (a.code || s.code));

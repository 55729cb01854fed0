/**
 * A socket factory for the `postgres` library's `socket` option that turns Nagle's
 * algorithm off. `postgres` never sets TCP_NODELAY itself, and then every small COPY
 * waits ~40 ms for the peer's delayed ACK before its last packet leaves.
 */
import net from "node:net";

/** The part of `postgres`' resolved options the factory reads (host/port are arrays). */
export interface SocketTarget {
  host?: string[];
  port?: number[];
  path?: string;
}

/** The part of a `node:net` socket the factory touches. */
export interface NoDelaySocket {
  setNoDelay(noDelay?: boolean): unknown;
}

/** `net.connect` or a stand-in with its options form. */
export type ConnectFn<S extends NoDelaySocket> = (opts: net.NetConnectOpts) => S;

/** Builds `postgres`' `socket` option: connects to the first host with TCP_NODELAY on (unix sockets as they are). */
export function noDelaySocketFactory<S extends NoDelaySocket = net.Socket>(
  connect: ConnectFn<S> = net.connect as unknown as ConnectFn<S>,
): (target: SocketTarget) => S {
  return (target) => {
    if (target.path) return connect({ path: target.path });
    const host = target.host?.[0] ?? "127.0.0.1";
    const port = target.port?.[0] ?? 5432;
    const socket = connect({ host, port, noDelay: true });
    socket.setNoDelay(true);
    return socket;
  };
}

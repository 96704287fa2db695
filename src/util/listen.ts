import type { Server } from "node:net";

/**
 * The unspecified IPv6 address. Node opens it dual-stack (IPV6_V6ONLY off), so one socket takes IPv4
 * and IPv6 connections: the webhook answers on a pod's IPv4, IPv6 or both, whatever the cluster's
 * stack.
 */
export const ANY_ADDRESS = "::";
const ANY_IPV4_ADDRESS = "0.0.0.0";

/** What the kernel answers for `::` where IPv6 is absent (booted with ipv6.disable=1, or a stack without it). */
const NO_IPV6 = new Set(["EAFNOSUPPORT", "EADDRNOTAVAIL", "EPROTONOSUPPORT"]);

function listenOnce(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (err: Error) => reject(err);
    server.once("error", failed);
    server.listen(port, host, () => {
      server.off("error", failed);
      resolve();
    });
  });
}

/** Node's "listen EADDRINUSE: address already in use :::8080" names neither the listener nor its setting. */
function cannotListen(err: NodeJS.ErrnoException, port: number, host: string, purpose: string): NodeJS.ErrnoException {
  const why =
    err.code === "EADDRINUSE" ? "the port is in use (EADDRINUSE) by another process (another kmm-preflight?); stop it, or choose another port"
    : err.code === "EACCES" ? "permission denied (EACCES; a port below 1024 needs privileges); choose a port of 1024 or above"
    : err.message;
  return Object.assign(new Error(`cannot listen on ${host.includes(":") ? `[${host}]` : host}:${port} for ${purpose}: ${why}`), { code: err.code });
}

/**
 * Listens on `host`; for `::` where the machine has no IPv6, on `0.0.0.0` instead (as Node does for a
 * listen without a host, but only for that reason: a busy port stays an error). Answers the address
 * listened on. `purpose` (what listens, and the setting that moves it) goes in the error of a failed listen.
 */
export async function listenDualStack(server: Server, port: number, host: string, purpose?: string): Promise<string> {
  try {
    try {
      await listenOnce(server, port, host);
      return host;
    } catch (err) {
      if (host !== ANY_ADDRESS || !NO_IPV6.has((err as NodeJS.ErrnoException).code ?? "")) throw err;
      await listenOnce(server, port, ANY_IPV4_ADDRESS);
      return ANY_IPV4_ADDRESS;
    }
  } catch (err) {
    throw purpose ? cannotListen(err as NodeJS.ErrnoException, port, host, purpose) : err;
  }
}

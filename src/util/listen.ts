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

/**
 * Listens on `host`; for `::` where the machine has no IPv6, on `0.0.0.0` instead (as Node does for a
 * listen without a host, but only for that reason: a busy port stays an error). Answers the address
 * listened on.
 */
export async function listenDualStack(server: Server, port: number, host: string): Promise<string> {
  try {
    await listenOnce(server, port, host);
    return host;
  } catch (err) {
    if (host !== ANY_ADDRESS || !NO_IPV6.has((err as NodeJS.ErrnoException).code ?? "")) throw err;
    await listenOnce(server, port, ANY_IPV4_ADDRESS);
    return ANY_IPV4_ADDRESS;
  }
}

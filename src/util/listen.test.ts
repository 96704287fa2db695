import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { once } from "node:events";
import * as sut from "./listen.js";

const connects = async (host: string, port: number) => {
  const socket = net.connect(port, host);
  try {
    await once(socket, "connect");
    return true;
  } catch {
    return false;
  } finally {
    socket.destroy();
  }
};

/** This machine's IPv6 loopback, when it has one (the dual-stack case can only be shown there). */
const hasIpv6 = await new Promise<boolean>((resolve) => {
  const s = net.createServer().once("error", () => resolve(false));
  s.listen(0, "::1", () => s.close(() => resolve(true)));
});

/** A real server on a kernel without IPv6: binding an IPv6 address fails as such a kernel fails it. */
function ipv4OnlyServer(onConnection?: (s: net.Socket) => void): net.Server & { attempts: string[] } {
  const server = Object.assign(net.createServer(onConnection), { attempts: [] as string[] });
  const listen = server.listen.bind(server) as (port: number, host: string, cb: () => void) => net.Server;
  server.listen = ((port: number, host: string, cb: () => void) => {
    server.attempts.push(host);
    if (!host.includes(":")) return listen(port, host, cb);
    const err = Object.assign(new Error(`listen EAFNOSUPPORT: address family not supported ${host}:${port}`), { code: "EAFNOSUPPORT" });
    process.nextTick(() => server.emit("error", err));
    return server;
  }) as typeof server.listen;
  return server;
}

describe("listenDualStack()", () => {
  const servers: net.Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve()))));
  });

  it("given ::, accepts IPv4 and IPv6 connections on one socket", { skip: !hasIpv6 && "this machine has no IPv6 loopback" }, async () => {
    const server = net.createServer((s) => s.end());
    servers.push(server);
    assert.equal(await sut.listenDualStack(server, 0, sut.ANY_ADDRESS), "::");
    const { port } = server.address() as net.AddressInfo;
    assert.equal(await connects("127.0.0.1", port), true, "IPv4");
    assert.equal(await connects("::1", port), true, "IPv6");
  });

  it("given :: on a machine without IPv6, listens on 0.0.0.0 instead", async () => {
    const server = ipv4OnlyServer((s) => s.end());
    servers.push(server);
    assert.equal(await sut.listenDualStack(server, 0, sut.ANY_ADDRESS), "0.0.0.0");
    assert.deepEqual(server.attempts, ["::", "0.0.0.0"]);
    assert.equal(await connects("127.0.0.1", (server.address() as net.AddressInfo).port), true);
  });

  it("given an IPv6 address other than ::, reports the failure instead of changing the address", async () => {
    const server = ipv4OnlyServer();
    servers.push(server);
    await assert.rejects(sut.listenDualStack(server, 0, "::1"), { code: "EAFNOSUPPORT" });
  });

  it("given a busy port, reports it instead of falling back", async () => {
    const busy = net.createServer();
    servers.push(busy);
    await sut.listenDualStack(busy, 0, sut.ANY_ADDRESS);
    const second = net.createServer();
    servers.push(second);
    await assert.rejects(sut.listenDualStack(second, (busy.address() as net.AddressInfo).port, sut.ANY_ADDRESS), { code: "EADDRINUSE" });
  });

  it("given a busy port and what listens, names the listener, its setting and the address", async () => {
    const busy = net.createServer();
    servers.push(busy);
    await sut.listenDualStack(busy, 0, "127.0.0.1");
    const port = (busy.address() as net.AddressInfo).port;
    const second = net.createServer();
    servers.push(second);
    await assert.rejects(sut.listenDualStack(second, port, "127.0.0.1", "metrics (--metrics-port, METRICS_PORT)"), {
      code: "EADDRINUSE",
      message: `cannot listen on 127.0.0.1:${port} for metrics (--metrics-port, METRICS_PORT): the port is in use (EADDRINUSE) by another process (another kmm-preflight?); stop it, or choose another port`,
    });
  });
});

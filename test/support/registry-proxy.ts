// A loopback HTTP proxy in front of a (plain-HTTP) registry that records every request and answers
// chosen ones with faults: a status, a hang, a reset, a redirect, or a custom handler. Requests that
// match no active rule are forwarded unchanged.
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface ProxiedRequest {
  readonly method: string;
  /** Path and query. */
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  /** Whether a rule answered it (true) or it was forwarded (false). */
  readonly faulted: boolean;
}

export type Fault =
  | { readonly status: number; readonly headers?: Readonly<Record<string, string>>; readonly body?: string | Buffer }
  /** Accept the request and never answer. */
  | "hang"
  /** Destroy the connection without an answer. */
  | "reset"
  | ((req: http.IncomingMessage, res: http.ServerResponse) => void);

export interface FaultRule {
  readonly method?: string;
  /** Matched against path and query. @default every request */
  readonly path?: RegExp;
  /** How many matching requests get the fault; later ones are forwarded. @default Infinity */
  readonly times?: number;
  readonly fault: Fault;
}

export interface RunningProxy {
  /** `127.0.0.1:PORT` */
  readonly host: string;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly requests: ProxiedRequest[];
  /** Adds a rule; earlier rules win. */
  fault(rule: FaultRule): void;
  /** Drops all rules and recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

export interface ProxyOptions {
  /**
   * Forward the client's Host header instead of the target's, so that the registry's Location headers
   * (upload sessions) point back at the proxy and the whole upload passes through it. @default false
   */
  readonly keepHost?: boolean;
}

/** Starts a proxy to `target` (e.g. a RunningRegistry's url, which must be plain HTTP). */
export async function startRegistryProxy(target: string, opts: ProxyOptions = {}): Promise<RunningProxy> {
  const upstream = new URL(target);
  const requests: ProxiedRequest[] = [];
  let rules: { rule: FaultRule; left: number }[] = [];

  const server = http.createServer((req, res) => {
    const active = rules.find(({ rule, left }) => left > 0 && (!rule.method || rule.method === req.method) && (!rule.path || rule.path.test(req.url ?? "")));
    requests.push({ method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers, faulted: active !== undefined });
    if (active) {
      active.left--;
      const f = active.rule.fault;
      req.resume();
      if (f === "hang") return;
      if (f === "reset") {
        req.socket.destroy();
        return;
      }
      if (typeof f === "function") {
        f(req, res);
        return;
      }
      const body = f.body ?? "";
      res.writeHead(f.status, { "content-length": String(Buffer.byteLength(body)), ...f.headers }).end(body);
      return;
    }
    const headers = opts.keepHost ? req.headers : { ...req.headers, host: upstream.host };
    const out = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on("error", () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    requests,
    fault: (rule) => rules.push({ rule, left: rule.times ?? Number.POSITIVE_INFINITY }),
    reset: () => {
      rules = [];
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const srv = http.createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

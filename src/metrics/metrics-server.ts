import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { listenDualStack } from "../util/listen.js";

/**
 * Plain HTTP on its own port: Prometheus scrapes it without the webhook's certificate, and a scrape
 * never competes with admission traffic on the HTTPS listener.
 */
export async function startMetricsServer(registry: Registry, host: string, port: number): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: metrics are at GET /metrics\n");
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { "content-type": registry.contentType }).end(body),
      (err: unknown) => res.writeHead(500, { "content-type": "text/plain" }).end(`metrics failed: ${String(err)}\n`),
    );
  });
  await listenDualStack(server, port, host, "metrics (--metrics-port, METRICS_PORT)");
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

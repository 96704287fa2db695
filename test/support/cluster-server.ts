import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { Writable } from "node:stream";
import { createLogger } from "../../src/log/logger.js";
import { parseServeConfig } from "../../src/server/config.js";
import { type RunningServer, startServer } from "../../src/server/serve.js";
import type { KubeApiServer } from "./kube-api-server.js";

export const silentLog = () => createLogger({ level: "error", stream: new Writable({ write: (_c, _e, cb) => cb() }) });

/**
 * The real server with the test API server as its cluster (a kubeconfig in `dir`), on free loopback
 * ports, with a generated certificate in `dir`/certs. `env` adds or overrides settings.
 */
export async function startServerWithCluster(api: KubeApiServer, dir: string, env: Record<string, string> = {}): Promise<{ server: RunningServer; ca: string }> {
  const kubeconfig = path.join(dir, "kubeconfig");
  await writeFile(kubeconfig, api.kubeConfig().exportConfig());
  const certDir = path.join(dir, "certs");
  const r = parseServeConfig(["--kubeconfig", kubeconfig], { PORT: "0", METRICS_PORT: "0", HOST: "127.0.0.1", CERT_DIR: certDir, ...env });
  if (!r.ok) throw new Error(r.errors.join("; "));
  const server = await startServer(r.config, { log: silentLog() });
  return { server, ca: await readFile(path.join(certDir, "ca.crt"), "utf8") };
}

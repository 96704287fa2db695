import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { createLogger } from "../../src/log/logger.js";
import { parseServeConfig } from "../../src/server/config.js";
import { type RunningServer, startServer } from "../../src/server/serve.js";
import { type KubeApiServer, type KubeObject, startKubeApiServer } from "./kube-api-server.js";

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

export interface ClusterUnderTest {
  readonly api: KubeApiServer;
  readonly server: RunningServer;
  readonly ca: string;
  /** Stops the server and the test API server (clearing its faults first) and removes the directory. */
  close(): Promise<void>;
}

/** The test API server holding `objects`, and the real server using it as its cluster, in a fresh temporary directory. */
export async function startClusterUnderTest(objects: readonly KubeObject[]): Promise<ClusterUnderTest> {
  const dir = await mkdtemp(path.join(tmpdir(), "kmm-preflight-cluster-"));
  const api = await startKubeApiServer();
  api.seed(...objects);
  const { server, ca } = await startServerWithCluster(api, dir);
  return {
    api,
    server,
    ca,
    async close() {
      api.faults.clear();
      await server.shutdown("test done");
      await api.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

import https from "node:https";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { preflightRoutes } from "../admission/preflight-routes.js";
import type { PreflightLister } from "../admission/preflight-webhook.js";
import { ensureCertificates } from "../certs/cert-files.js";
import { CertificateReloader } from "../certs/reloader.js";
import { loadClusterConfig } from "../kube/cluster-config.js";
import { startPreflightCache } from "../kube/preflight-cache.js";
import type { Logger } from "../log/logger.js";
import { createServerMetrics } from "../metrics/metrics.js";
import { startMetricsServer } from "../metrics/metrics-server.js";
import { createApp } from "./app.js";
import type { ServeConfig } from "./config.js";

// The admission server's lifecycle: certificates, optional cluster cache, HTTPS listener, drain on shutdown.

const TLS_MIN_VERSION = "TLSv1.2";

export interface RunningServer {
  readonly port: number;
  readonly metricsPort: number;
  /** Stops accepting, lets in-flight requests finish (up to the shutdown timeout), releases everything. Idempotent. */
  shutdown(reason: string): Promise<void>;
}

export interface ServeDeps {
  readonly log: Logger;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** @default os.homedir() */
  readonly homeDir?: string;
}

async function startCluster(config: ServeConfig, deps: ServeDeps, log: Logger) {
  const kc = config.noCluster ? undefined : loadClusterConfig({ kubeconfig: config.kubeconfig, env: deps.env ?? process.env, homeDir: deps.homeDir });
  if (!kc) {
    log.info("no cluster configured: serving admission only; warnings that need the cluster's objects are skipped", {
      reason: config.noCluster ? "--no-cluster" : "no kubeconfig, in-cluster service account or ~/.kube/config",
    });
    return undefined;
  }
  log.info("cluster configured", { server: kc.getCurrentCluster()?.server });
  return startPreflightCache(kc, deps.log);
}

export async function startServer(config: ServeConfig, deps: ServeDeps): Promise<RunningServer> {
  const log = deps.log.child({ component: "server" });
  // What has been started, undone in reverse if a later step fails (a busy port, bad certificates).
  const undo: (() => unknown)[] = [];
  try {
    return await start(config, deps, log, undo);
  } catch (err) {
    for (const u of undo.reverse()) await u();
    throw err;
  }
}

async function start(config: ServeConfig, deps: ServeDeps, log: Logger, undo: (() => unknown)[]): Promise<RunningServer> {
  const metrics = createServerMetrics();
  const certLog = deps.log.child({ component: "certs" });
  if (config.generateCerts) {
    await ensureCertificates(config.certDir, { serviceName: config.serviceName, namespace: config.namespace }, certLog);
  }
  let server: https.Server | undefined;
  const reloader = new CertificateReloader({
    dir: config.certDir,
    log: certLog,
    pollIntervalMs: config.certPollSeconds * 1000,
    onReload: (c) => {
      server?.setSecureContext({ cert: c.cert, key: c.key, minVersion: TLS_MIN_VERSION });
      metrics.setCertificateExpiry(c.notAfter);
    },
  });
  undo.push(() => reloader.stop());
  const certs = await reloader.start();
  metrics.setCertificateExpiry(certs.notAfter);

  const cache = await startCluster(config, deps, log);
  if (cache) undo.push(() => cache.stop());
  const lister: PreflightLister | undefined = cache && { list: () => cache.list() };

  const metricsServer = await startMetricsServer(metrics.registry, config.host, config.metricsPort);
  undo.push(() => metricsServer.close());

  let draining = false;
  const app = createApp({
    routes: preflightRoutes(lister),
    log: deps.log,
    bodyLimitBytes: config.bodyLimitBytes,
    onAdmission: (r) => metrics.observeAdmission(r),
    draining: () => draining,
    readiness: [
      { name: "shutdown", check: () => (draining ? "shutting down" : undefined) },
      { name: "certificates", check: () => (reloader.current.notAfter.getTime() < Date.now() ? `serving certificate expired at ${reloader.current.notAfter.toISOString()}` : undefined) },
    ],
  });

  server = https.createServer({ cert: certs.cert, key: certs.key, minVersion: TLS_MIN_VERSION }, app);
  // A slow client cannot hold a socket open forever; the API server's webhook timeout is at most 30 s anyway.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  const listening = server;
  await new Promise<void>((resolve, reject) => {
    listening.once("error", reject);
    listening.listen(config.port, config.host, () => {
      listening.off("error", reject);
      resolve();
    });
  });
  const port = (listening.address() as AddressInfo).port;
  log.info("serving admission webhooks over HTTPS", { host: config.host, port, metricsPort: metricsServer.port, certDir: config.certDir, certNotAfter: certs.notAfter.toISOString() });

  let stopped: Promise<void> | undefined;
  const shutdown = (reason: string) =>
    (stopped ??= (async () => {
      draining = true;
      log.info("shutting down", { reason, delaySeconds: config.shutdownDelaySeconds, timeoutSeconds: config.shutdownTimeoutSeconds });
      if (config.shutdownDelaySeconds > 0) await sleep(config.shutdownDelaySeconds * 1000);
      const closed = new Promise<void>((resolve) => listening.close(() => resolve()));
      listening.closeIdleConnections();
      const force = setTimeout(() => {
        log.warn("in-flight requests did not finish in time; closing their connections", { timeoutSeconds: config.shutdownTimeoutSeconds });
        listening.closeAllConnections();
      }, config.shutdownTimeoutSeconds * 1000);
      await closed;
      clearTimeout(force);
      for (const u of undo.reverse()) await u();
      log.info("stopped");
    })());
  return { port, metricsPort: metricsServer.port, shutdown };
}

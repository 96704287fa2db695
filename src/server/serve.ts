import { randomUUID } from "node:crypto";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { moduleRoutes } from "../admission/module-routes.js";
import { preflightRoutes } from "../admission/preflight-routes.js";
import type { PreflightLister } from "../admission/preflight-webhook.js";
import { ensureCertificates } from "../certs/cert-files.js";
import { CertificateReloader } from "../certs/reloader.js";
import type { KubeConfig } from "@kubernetes/client-node";
import { loadClusterConfig } from "../kube/cluster-config.js";
import { PREFLIGHTS } from "../kube/resources.js";
import type { Informer } from "../kube/informer.js";
import type { PreflightValidationOCP } from "../api/index.js";
import { type Manager, createManager } from "../manager/manager.js";
import { createEventRecorder } from "../kube/event-recorder.js";
import { readPullSecret } from "../kube/pull-secret.js";
import { type Writer, createWriter } from "../kube/writer.js";
import { readOwnImage } from "../kube/own-image.js";
import { DEFAULT_STUCK_AFTER_MS } from "../jobs/job-outcome.js";
import { createRunnerMetrics } from "../metrics/runner-metrics.js";
import { clusterWriter } from "../runner/kube-ports.js";
import { releaseKernelSource } from "../runner/release-kernel-source.js";
import { type Runner, startRunner } from "../runner/runner.js";
import { systemClock } from "../util/clock.js";
import type { Logger } from "../log/logger.js";
import { type ServerMetrics, createServerMetrics } from "../metrics/metrics.js";
import { startMetricsServer } from "../metrics/metrics-server.js";
import { createApp } from "./app.js";
import type { ServeConfig } from "./config.js";
import { listenDualStack } from "../util/listen.js";

// The server's lifecycle: certificates, the optional cluster manager (caches, leader election, the
// leader's work), HTTPS listener, drain on shutdown.

const TLS_MIN_VERSION = "TLSv1.2";
/** An `error` Module is retried after 10 s, doubling per error in a row, at most every 10 min. */
const ERROR_BACKOFF = { initialMs: 10_000, maxMs: 600_000 };
/** The Jobs' image outside a pod, when no --job-image is given. */
const DEFAULT_JOB_IMAGE = "kmm-preflight:latest";

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

function clusterConfig(config: ServeConfig, deps: ServeDeps, log: Logger): KubeConfig | undefined {
  const kc = config.noCluster ? undefined : loadClusterConfig({ kubeconfig: config.kubeconfig, env: deps.env ?? process.env, homeDir: deps.homeDir });
  if (!kc) {
    log.info("no cluster configured: serving admission only; warnings that need the cluster's objects are skipped", {
      reason: config.noCluster ? "--no-cluster" : "no kubeconfig, in-cluster service account or ~/.kube/config",
    });
    return undefined;
  }
  log.info("cluster configured", { server: kc.getCurrentCluster()?.server });
  return kc;
}

/**
 * Every replica serves admission and keeps the caches; with --leader-elect one replica at a time runs
 * the leader's work (without it, this replica does).
 */
function startManager(kc: KubeConfig, config: ServeConfig, deps: ServeDeps, metrics: ServerMetrics, identity: string): Manager {
  return createManager({
    kc,
    log: deps.log,
    onLeading: (leading) => metrics.setLeader(leading),
    ...(config.leaderElect && {
      leaderElection: {
        namespace: config.namespace,
        name: config.leaderElectionId,
        identity,
        leaseDurationSeconds: config.leaseDurationSeconds,
        renewDeadlineSeconds: config.renewDeadlineSeconds,
        retryPeriodSeconds: config.retryPeriodSeconds,
      },
    }),
  });
}

/** The job runner (ADR 12), as the leader's work: validation Jobs and status for every PreflightValidationOCP. */
function runValidationJobs(kc: KubeConfig, manager: Manager, preflights: Informer<PreflightValidationOCP>, config: ServeConfig, deps: ServeDeps, metrics: ServerMetrics, identity: string): Runner {
  const writer = createWriter(kc);
  const recorder = createEventRecorder(writer, { component: "kmm-preflight", instance: identity, clock: systemClock });
  return startRunner({
    manager,
    preflights,
    writer: clusterWriter(writer, recorder),
    kernelSource: releaseKernelSource({ pullSecret: () => readPullSecret(writer, config.releasePullSecret), log: deps.log, clock: systemClock }),
    config: {
      jobImage: config.jobImage ?? (() => jobImageOfThisPod(writer, config, deps.log)),
      sweepSchedule: config.sweepSchedule,
      maxRunningJobs: config.maxRunningJobs,
      revalidateAfterMs: config.revalidateAfterSeconds * 1000,
      jobDeadlineSeconds: config.jobDeadlineSeconds,
      builderImage: config.builderImage,
      buildDeadlineSeconds: config.buildDeadlineSeconds,
      errorBackoff: ERROR_BACKOFF,
      stuckAfterMs: DEFAULT_STUCK_AFTER_MS,
    },
    clock: systemClock,
    log: deps.log,
    metrics: (sources) => createRunnerMetrics(metrics.registry, sources),
  });
}

/** The server's own image (the Jobs run it too), else DEFAULT_JOB_IMAGE; logged either way. */
async function jobImageOfThisPod(writer: Writer, config: ServeConfig, log: Logger): Promise<string> {
  const podName = config.podName;
  const found = podName ? await readOwnImage(writer, config.namespace, podName).catch((err: unknown) => {
    log.warn("could not read this Pod to find its image; set --job-image", { error: err instanceof Error ? err.message : String(err) });
    return undefined;
  }) : undefined;
  if (!found) log.info(`validation Jobs run ${DEFAULT_JOB_IMAGE}`, { reason: podName ? `pod ${config.namespace}/${podName} or its container not found` : "no POD_NAME: not running in a pod" });
  return found ?? DEFAULT_JOB_IMAGE;
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
  const kc = clusterConfig(config, deps, log);
  let cache: Informer<PreflightValidationOCP> | undefined;
  const lister: PreflightLister = { list: () => cache?.list() };
  const metrics = createServerMetrics({ ...(kc && { preflights: lister.list }) });
  // Started last (below, once serving), so a replica that failed to start never leads.
  const identity = `${config.podName ?? hostname()}_${randomUUID()}`;
  const manager = kc && startManager(kc, config, deps, metrics, identity);
  if (manager) undo.push(() => manager.stop());
  cache = manager?.informer("PreflightValidationOCP", { resource: PREFLIGHTS });
  const runner = kc && manager && cache && !config.noRunner ? runValidationJobs(kc, manager, cache, config, deps, metrics, identity) : undefined;
  if (kc && !runner) log.info("the job runner is off: admission only", { reason: "--no-runner" });
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

  const metricsServer = await startMetricsServer(metrics.registry, config.host, config.metricsPort);
  undo.push(() => metricsServer.close());

  let draining = false;
  const app = createApp({
    routes: [
      ...preflightRoutes(cache && lister, {
        onLookupError: (err) => log.warn("the duplicate-release warning was skipped: the PreflightValidationOCP lookup failed", { error: err instanceof Error ? err.message : String(err) }),
        ...(runner && { onCreateAdmitted: (name: string) => runner.nudge(name) }),
      }),
      ...moduleRoutes(cache && lister, {
        onLookupError: (err) => log.warn("the Module preflight checks were skipped: the PreflightValidationOCP lookup failed", { error: err instanceof Error ? err.message : String(err) }),
      }),
    ],
    log: deps.log,
    bodyLimitBytes: config.bodyLimitBytes,
    bufferedBodyBytes: config.bufferedBodyBytes,
    onAdmission: (r) => metrics.observeAdmission(r),
    draining: () => draining,
    readiness: [
      { name: "shutdown", check: () => (draining ? "shutting down" : undefined) },
      { name: "certificates", check: () => reloader.problem() },
      { name: "leader-caches", check: () => manager?.readinessProblem() },
    ],
  });

  server = https.createServer({ cert: certs.cert, key: certs.key, minVersion: TLS_MIN_VERSION }, app);
  // A slow client cannot hold a socket open forever; the API server's webhook timeout is at most 30 s anyway.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  const listening = server;
  const host = await listenDualStack(listening, config.port, config.host, "the webhooks (--port, PORT)");
  const port = (listening.address() as AddressInfo).port;
  log.info("serving admission webhooks over HTTPS", { host, port, metricsPort: metricsServer.port, certDir: config.certDir, certNotAfter: certs.notAfter.toISOString() });

  manager?.start();

  let stopped: Promise<void> | undefined;
  const shutdown = (reason: string) =>
    (stopped ??= (async () => {
      draining = true;
      log.info("shutting down", { reason, delaySeconds: config.shutdownDelaySeconds, timeoutSeconds: config.shutdownTimeoutSeconds });
      // Leadership is handed over while admission keeps serving through the delay and drain: another
      // replica takes the released Lease at its next retry instead of waiting out the lease duration.
      // The release is bounded by the renew deadline, so both fit the pod's grace period side by side.
      const steppedDown = manager?.stop();
      if (config.shutdownDelaySeconds > 0) await sleep(config.shutdownDelaySeconds * 1000);
      const closed = new Promise<void>((resolve) => listening.close(() => resolve()));
      listening.closeIdleConnections();
      const force = setTimeout(() => {
        log.warn("in-flight requests did not finish in time; closing their connections", { timeoutSeconds: config.shutdownTimeoutSeconds });
        listening.closeAllConnections();
      }, config.shutdownTimeoutSeconds * 1000);
      await closed;
      clearTimeout(force);
      await steppedDown;
      for (const u of undo.reverse()) await u();
      log.info("stopped");
    })());
  return { port, metricsPort: metricsServer.port, shutdown };
}

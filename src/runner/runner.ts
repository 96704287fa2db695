import { CronJob } from "cron";
import type { PreflightValidationOCP } from "../api/index.js";
import type { PlanConfig } from "../jobs/plan.js";
import type { Job, KubeEvent, Pod } from "../jobs/objects.js";
import { describeError } from "../kube/api-error.js";
import type { Informer, InformerEvent } from "../kube/informer.js";
import { PREFLIGHTS } from "../kube/resources.js";
import type { Logger } from "../log/logger.js";
import type { Manager } from "../manager/manager.js";
import type { RunnerMetrics } from "../metrics/runner-metrics.js";
import type { Clock } from "../util/clock.js";
import { KernelLookups, type KernelSource } from "./kernel-lookups.js";
import { type RunnerCaches, clusterView, jobFinished, startRunnerCaches } from "./kube-ports.js";
import type { ClusterWriter } from "./ports.js";
import { type ReconcileDeps, RunnerMemory, reconcilePreflight } from "./reconcile.js";
import { WorkQueue } from "./work-queue.js";

// The job runner (ADR 12): watch events queue the PreflightValidationOCP they concern, a cron sweep
// queues every one (the level-triggered backstop), and while this replica leads, one worker reconciles
// them one at a time. Every replica keeps the caches warm; only the leader acts.

export interface RunnerConfig extends Omit<PlanConfig, "jobImage"> {
  /** Cron expression, with seconds, of the sweep (`--sweep-schedule`). */
  readonly sweepSchedule: string;
  /** The image of the validation Jobs, or how to find it (asked once, when this replica starts leading). */
  readonly jobImage: string | (() => Promise<string>);
}

export interface RunnerOptions {
  readonly manager: Manager;
  /** The shared PreflightValidationOCP cache (admission warnings read it too). */
  readonly preflights: Informer<PreflightValidationOCP>;
  readonly writer: ClusterWriter;
  readonly kernelSource: KernelSource;
  readonly config: RunnerConfig;
  readonly clock: Clock;
  readonly log: Logger;
  /** Created by the caller from the runner's queue depth and running Jobs (see `queueDepth`, `runningJobs`). */
  readonly metrics?: (sources: { queueDepth: () => number; runningJobs: () => number }) => RunnerMetrics;
}

export interface Runner {
  /** Queues a PreflightValidationOCP (the admission webhook nudges on CREATE; no work happens in the request). */
  nudge(name: string): void;
  /** Runs one sweep now (while leading) and resolves when every PreflightValidationOCP has been reconciled once. */
  sweep(): Promise<void>;
  /** True while this replica's worker runs (it leads, and the caches have synced). */
  readonly active: boolean;
}

export function startRunner(o: RunnerOptions): Runner {
  const log = o.log.child({ component: "runner" });
  const caches: RunnerCaches = startRunnerCaches(o.manager);
  const view = clusterView(o.preflights, caches);
  const queue = new WorkQueue<string>({ clock: o.clock });
  const memory = new RunnerMemory();
  const metrics = o.metrics?.({ queueDepth: () => queue.depth, runningJobs: () => view.activeJobs().length });
  const kernels = new KernelLookups({ source: o.kernelSource, onSettled: (name) => queue.add(name), clock: o.clock, log });
  /** Set once this replica leads and knows the Jobs' image; the worker only runs then. */
  let deps: ReconcileDeps | undefined;
  let sweepFailures: number | undefined;
  /** Aborts when this replica stops leading: a sweep waiting on the queue then gives up. */
  let leadership: AbortSignal | undefined;

  const all = () => queueEach(view.preflights().map((p) => p.metadata.name ?? ""));
  const queueEach = (names: readonly string[]) => names.filter(Boolean).forEach((n) => queue.add(n));

  // Which PreflightValidationOCP a change concerns: its own, its Jobs' owner, their Pods' Job's owner.
  const ownerName = (j: Job | undefined) => j?.metadata.ownerReferences?.find((r) => r.kind === PREFLIGHTS.kind)?.name;
  const jobOfPod = (p: Pod) => {
    const ref = p.metadata.ownerReferences?.find((r) => r.kind === "Job");
    return ref ? caches.jobs.get(ref.name, p.metadata.namespace) : undefined;
  };
  o.preflights.onEvent((e) => {
    const name = e.object.metadata.name ?? "";
    if (e.type === "delete") {
      queue.forget(name);
      memory.forget(name);
      kernels.forget(name);
    }
    // A status write of our own comes back as an update: it needs no pass (its spec and generation are unchanged).
    if (e.type === "update" && e.old.metadata.generation === e.object.metadata.generation && !e.object.metadata.deletionTimestamp) return;
    queue.add(name);
  });
  caches.modules.onEvent((e) => {
    if (e.type === "update" && e.old.metadata.generation === e.object.metadata.generation) return;
    all();
  });
  caches.jobs.onEvent((e: InformerEvent<Job>) => {
    const owner = ownerName(e.object) ?? "";
    // A slot under the cap freed: every PFVO waiting on it gets its turn, not only the owner (ADR 18).
    const freed = e.type === "delete" ? !jobFinished(e.object) : e.type === "update" && !jobFinished(e.old) && jobFinished(e.object);
    queueEach([owner, ...(freed ? memory.othersWaiting(owner) : [])]);
  });
  caches.pods.onEvent((e: InformerEvent<Pod>) => queueEach([ownerName(jobOfPod(e.object)) ?? ""]));
  caches.events.onEvent((e: InformerEvent<KubeEvent>) => {
    const about = e.object.involvedObject;
    const job = about.kind === "Job" ? caches.jobs.get(about.name ?? "", about.namespace) : undefined;
    const pod = about.kind === "Pod" ? caches.pods.get(about.name ?? "", about.namespace) : undefined;
    queueEach([ownerName(job ?? (pod && jobOfPod(pod))) ?? ""]);
  });

  const worker = (name: string) => reconcilePreflight(name, deps!);
  const onError = (name: string, err: unknown, retryInMs: number) => {
    metrics?.reconcileFailed();
    if (sweepFailures !== undefined) sweepFailures++;
    log.warn("reconcile failed; retrying", { preflight: name, error: describeError(err), retryInMs });
  };

  async function sweep(): Promise<void> {
    const signal = leadership;
    if (!signal || signal.aborted) return;
    if (sweepFailures !== undefined) {
      log.debug("the previous sweep is still running; skipping this one");
      return;
    }
    const started = o.clock.now();
    sweepFailures = 0;
    // Removed when the sweep ends: the leadership signal lives for the whole term, a sweep does not.
    let onAbort: (() => void) | undefined;
    try {
      const done = Promise.all(view.preflights().map((p) => queue.addAndWait(p.metadata.name ?? "")));
      const stopped = new Promise<"stopped">((resolve) => signal.addEventListener("abort", (onAbort = () => resolve("stopped")), { once: true }));
      if ((await Promise.race([done, stopped])) === "stopped") return;
      const seconds = (o.clock.now() - started) / 1000;
      metrics?.sweep(seconds, sweepFailures);
      log.debug("sweep done", { preflights: view.preflights().length, seconds, failures: sweepFailures });
    } finally {
      if (onAbort) signal.removeEventListener("abort", onAbort);
      sweepFailures = undefined;
    }
  }

  o.manager.runWhileLeading("runner", async (signal) => {
    const jobImage = typeof o.config.jobImage === "string" ? o.config.jobImage : (deps?.config.jobImage ?? (await o.config.jobImage()));
    deps = { view, writer: o.writer, kernels, config: { ...o.config, jobImage }, clock: o.clock, log, memory, ...(metrics && { metrics }) };
    leadership = signal;
    const cron = CronJob.from({
      cronTime: o.config.sweepSchedule,
      onTick: () => void sweep().catch((err: unknown) => log.error("sweep failed", { error: describeError(err) })),
      start: true,
    });
    log.info("running validation Jobs", { jobImage, preflights: view.preflights().length, modules: view.modules().length, sweepSchedule: o.config.sweepSchedule, maxRunningJobs: o.config.maxRunningJobs });
    all();
    try {
      await queue.run(worker, onError, signal);
    } finally {
      await cron.stop();
      log.info("stopped running validation Jobs");
    }
  });

  return {
    nudge: (name) => queue.add(name),
    sweep,
    get active() {
      return leadership !== undefined && !leadership.aborted;
    },
  };
}

import type { PreflightValidationOCP } from "../api/index.js";
import { JOB_TYPE_LABEL } from "../jobs/labels.js";
import type { Job } from "../jobs/objects.js";
import { type CreationFailure, type Plan, type PlanConfig, planPreflight } from "../jobs/plan.js";
import type { ConfigMapState } from "../jobs/stages.js";
import type { Logger } from "../log/logger.js";
import type { Clock } from "../util/clock.js";
import type { KernelLookups } from "./kernel-lookups.js";
import type { ClusterView, ClusterWriter } from "./ports.js";
import type { ProcessResult } from "./work-queue.js";

// One pass over one PreflightValidationOCP: observe (caches) -> plan (pure) -> act. The status is
// written first, with the resourceVersion it was planned from; only once it has landed are Events
// recorded and Jobs deleted or created, so a conflict (another writer, a stale cache) re-plans from the
// fresh object and never acts on a stale plan. ADR 12.

export interface RunnerMetricsSink {
  jobCreated(stage: string): void;
  jobOutcome(stage: string, verdict: string): void;
}

/** What the runner remembers between passes, and may lose on a restart without harm. */
export class RunnerMemory {
  /** Jobs created and not yet seen in the cache (client-go's "expectations"), by `namespace/name`, with when (monotonic ms) and for which PFVO. */
  readonly pendingCreates = new Map<string, { readonly atMs: number; readonly preflight: string }>();
  /** Modules each PFVO left waiting for a slot under the cap on running Jobs, at its last pass. */
  readonly waitingOnCap = new Map<string, number>();
  /** Job creations the API server refused, per PFVO name, by `namespace/name` of the Job. */
  readonly creationFailures = new Map<string, Map<string, CreationFailure>>();
  /** Build ConfigMaps read, by `namespace/name`, with when (monotonic ms): read again once stale. */
  readonly configMaps = new Map<string, { state: ConfigMapState; atMs: number }>();

  forget(preflight: string): void {
    this.creationFailures.delete(preflight);
    this.waitingOnCap.delete(preflight);
  }

  /** PFVOs other than `preflight` with Modules waiting on the cap: when a slot frees, they compete for it. */
  othersWaiting(preflight: string): string[] {
    return [...this.waitingOnCap].filter(([name, n]) => name !== preflight && n > 0).map(([name]) => name);
  }
}

export interface ReconcileDeps {
  readonly view: ClusterView;
  readonly writer: ClusterWriter;
  readonly kernels: KernelLookups;
  readonly config: PlanConfig;
  readonly clock: Clock;
  readonly log: Logger;
  readonly memory: RunnerMemory;
  readonly metrics?: RunnerMetricsSink;
}

/** How many times a status write may lose a race before the pass gives up (and backs off). */
const MAX_CONFLICTS = 5;
/** An expectation the cache never confirmed is dropped after this long (a lost watch event). */
const EXPECTATION_TTL_MS = 60_000;
/** A build ConfigMap read is trusted this long: a Module about to build later sees the ConfigMap as it is then. */
const CONFIG_MAP_TTL_MS = 60_000;

const keyOf = (j: Job) => `${j.metadata.namespace}/${j.metadata.name}`;

export async function reconcilePreflight(name: string, d: ReconcileDeps): Promise<ProcessResult> {
  let pf = d.view.preflight(name);
  if (!pf || pf.metadata.deletionTimestamp) {
    // Its Jobs carry an ownerReference: the garbage collector removes them with it.
    d.memory.forget(name);
    d.kernels.forget(name);
    return {};
  }
  const log = d.log.child({ preflight: name });
  let plan: Plan | undefined;
  for (let conflicts = 0; ; conflicts++) {
    plan = planPreflight(observe(pf, d), d.clock.wallNow().getTime(), d.config);
    if (plan.fetch.length) {
      // Modules about to build: read their ConfigMaps, then plan with them.
      for (const ref of plan.fetch) d.memory.configMaps.set(`${ref.namespace}/${ref.name}`, { state: await d.writer.readConfigMap(ref.namespace, ref.name), atMs: d.clock.now() });
      plan = planPreflight(observe(pf, d), d.clock.wallNow().getTime(), d.config);
    }
    if (!plan.statusChanged) break;
    const written = await d.writer.writeStatus({ ...pf, status: plan.status });
    if (written !== "conflict") {
      pf = written;
      break;
    }
    if (conflicts + 1 >= MAX_CONFLICTS) throw new Error(`the status of ${name} changed under every one of ${MAX_CONFLICTS} writes; retrying later`);
    log.debug("status write conflicted; planning again from the object as it is now", { conflicts: conflicts + 1 });
    pf = await d.writer.readPreflight(name);
    if (!pf) return {};
  }
  for (const o of plan.outcomes) d.metrics?.jobOutcome(o.stage, o.verdict);
  d.memory.waitingOnCap.set(name, plan.waitingOnCap);
  return act(pf, plan, d, log);
}

function observe(pf: PreflightValidationOCP, d: ReconcileDeps) {
  const uid = pf.metadata.uid ?? "";
  const jobs = d.view.jobsOwnedBy(uid);
  const pods = jobs.flatMap((j) => d.view.podsOf(j.metadata.uid ?? ""));
  const active = d.view.activeJobs();
  const seen = new Set([...active, ...jobs].map(keyOf));
  const nowMs = d.clock.now();
  for (const [key, p] of d.memory.pendingCreates) if (seen.has(key) || nowMs - p.atMs > EXPECTATION_TTL_MS) d.memory.pendingCreates.delete(key);
  const name = pf.metadata.name ?? "";
  // The cap is shared fairly while other PFVOs wait on it: each gets an equal part (ADR 18).
  const competing = d.memory.othersWaiting(name).length;
  const activeKeys = new Set(active.map(keyOf));
  const ownRunning = jobs.filter((j) => activeKeys.has(keyOf(j))).length + [...d.memory.pendingCreates.values()].filter((p) => p.preflight === name).length;
  for (const [key, read] of d.memory.configMaps) if (nowMs - read.atMs > CONFIG_MAP_TTL_MS) d.memory.configMaps.delete(key);
  return {
    preflight: pf,
    kernel: d.kernels.state(pf),
    modules: d.view.modules(),
    jobs,
    pods,
    events: d.view.warningsAbout([...jobs, ...pods].map((o) => o.metadata.uid ?? "").filter(Boolean)),
    creationFailures: d.memory.creationFailures.get(name) ?? new Map<string, CreationFailure>(),
    pendingCreates: new Set(d.memory.pendingCreates.keys()),
    runningJobs: active.length + d.memory.pendingCreates.size,
    ...(competing > 0 && { capShare: { jobs: Math.ceil(d.config.maxRunningJobs / (competing + 1)), running: ownRunning, others: competing } }),
    configMaps: new Map([...d.memory.configMaps].map(([key, read]) => [key, read.state])),
  };
}

async function act(pf: PreflightValidationOCP, plan: Plan, d: ReconcileDeps, log: Logger): Promise<ProcessResult> {
  for (const e of plan.events) {
    await d.writer.recordEvent(pf, e).catch((err: unknown) => log.warn("could not record an Event", { reason: e.reason, error: err instanceof Error ? err.message : String(err) }));
  }
  for (const del of plan.delete) {
    const r = await d.writer.deleteJob(del.namespace, del.name, del.uid);
    log.info("deleted a validation Job", { namespace: del.namespace, job: del.name, why: del.why, result: r });
  }
  const name = pf.metadata.name ?? "";
  let refused = false;
  for (const job of plan.create) {
    const key = keyOf(job);
    const r = await d.writer.createJob(job);
    if (typeof r === "object") {
      // Refused for good (quota, forbidden, invalid): the next plan reports it as the Module's error.
      refused = true;
      const failures = d.memory.creationFailures.get(name) ?? new Map<string, CreationFailure>();
      failures.set(key, { message: r.refused, at: d.clock.wallNow().toISOString().replace(/\.\d{3}Z$/, "Z") });
      d.memory.creationFailures.set(name, failures);
      log.warn("the API server refused a validation Job", { namespace: job.metadata.namespace, job: job.metadata.name, error: r.refused });
      continue;
    }
    d.memory.creationFailures.get(name)?.delete(key);
    d.memory.pendingCreates.set(key, { atMs: d.clock.now(), preflight: name });
    if (r === "created") {
      d.metrics?.jobCreated(job.metadata.labels?.[JOB_TYPE_LABEL] ?? "image");
      log.info("created a validation Job", { namespace: job.metadata.namespace, job: job.metadata.name });
    }
  }
  if (refused) return { requeueAfterMs: 0 };
  return plan.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs } : {};
}

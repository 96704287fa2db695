import { createHash } from "node:crypto";
import {
  MAX_STATUS_MODULES,
  MAX_STATUS_REASON_LENGTH,
  STATUS_BUDGET_BYTES,
  type Module,
  type PreflightModuleStatus,
  type PreflightValidationOCP,
  type PreflightValidationOCPStatus,
  type VerificationStatus,
} from "../api/index.js";
import { resolveModuleTarget } from "../kernel/module-target.js";
import { type BackoffOptions, backoffDelay } from "../util/backoff.js";
import { preflightConditions, setConditions, summarize } from "./conditions.js";
import { buildImageJob } from "./image-job.js";
import { jobName } from "./job-name.js";
import { type JobOutcome, readJobOutcome } from "./job-outcome.js";
import type { Job, KubeEvent, Pod } from "./objects.js";
import { moduleSpecHash } from "./spec-hash.js";

// The runner's decisions for one PreflightValidationOCP, as a pure function of what the caches hold
// (ADR 12): the new status, the Jobs to create and delete, the Events to record, and when to look
// again. Everything the decisions rest on is in `Observed` or in the PFVO's own status, so a
// restart, a failover or a second replica reaches the same plan.

export type KernelState =
  | { readonly kind: "known"; readonly kernel: string }
  /** Being read from the release image; nothing can be checked yet. */
  | { readonly kind: "pending" }
  /** Could not be read (retried with backoff by the caller): every Module is `error` with this reason. */
  | { readonly kind: "failed"; readonly reason: string };

export interface PlanConfig {
  /** Image of the validation Jobs (`--job-image`). */
  readonly jobImage: string;
  /** This product's Jobs running at once, cluster-wide (`--max-running-jobs`). */
  readonly maxRunningJobs: number;
  /** A `false` Module is checked again this long after its last check, even unchanged. */
  readonly revalidateAfterMs: number;
  /** activeDeadlineSeconds of the image-stage Jobs. */
  readonly jobDeadlineSeconds: number;
  /** Retry delay of an `error` Module, doubling per error in a row. */
  readonly errorBackoff: BackoffOptions;
  /** How long a Pod may look stuck (image pull, mount, scheduling) before it is reported as `error`. */
  readonly stuckAfterMs: number;
}

export interface CreationFailure {
  readonly message: string;
  /** RFC 3339. */
  readonly at: string;
}

export interface Observed {
  readonly preflight: PreflightValidationOCP;
  readonly kernel: KernelState;
  /** Every Module in the cluster. */
  readonly modules: readonly Module[];
  /** The Jobs this PFVO owns, and their Pods and the Warning Events about either. */
  readonly jobs: readonly Job[];
  readonly pods: readonly Pod[];
  readonly events: readonly KubeEvent[];
  /** Job creations the API server refused, by `namespace/name` of the Job. */
  readonly creationFailures: ReadonlyMap<string, CreationFailure>;
  /** Jobs created by this runner that the cache has not shown yet, by `namespace/name`. */
  readonly pendingCreates: ReadonlySet<string>;
  /** This product's Jobs running cluster-wide, for every PFVO (the cap is shared). */
  readonly runningJobs: number;
}

export interface PlannedEvent {
  /** Deterministic: the same transition of the same Module spec always gives the same name (aggregated). */
  readonly name: string;
  readonly type: "Normal" | "Warning";
  readonly reason: string;
  readonly message: string;
}

export interface JobDeletion {
  readonly namespace: string;
  readonly name: string;
  /** Only this incarnation (a precondition): never a newer Job of the same name. */
  readonly uid?: string;
  readonly why: string;
}

/** What a check that finished (or could not start) concluded, for the metrics. */
export interface PlannedOutcome {
  readonly stage: "image";
  readonly verdict: "true" | "false" | "error";
}

export interface Plan {
  /** The whole new status: fields and conditions this product does not own are carried over. */
  readonly status: PreflightValidationOCPStatus;
  readonly statusChanged: boolean;
  readonly create: readonly Job[];
  readonly delete: readonly JobDeletion[];
  readonly events: readonly PlannedEvent[];
  readonly outcomes: readonly PlannedOutcome[];
  /** Look again after this long at the latest (a revalidation or retry falls due, a Pod may be stuck). */
  readonly requeueAfterMs?: number;
}

const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;
const timeMs = (t: string | undefined) => (t ? Date.parse(t) : NaN);
const cut = (s: string, max = MAX_STATUS_REASON_LENGTH) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

/** Why a Module is not listed as a live one: it is being deleted, or is not a Module object at all. */
const isLive = (m: Module) => typeof m?.metadata?.name === "string" && typeof m.metadata.namespace === "string" && !m.metadata.deletionTimestamp;

export function planPreflight(o: Observed, nowMs: number, config: PlanConfig): Plan {
  // metav1.Time precision: whole seconds.
  const now = new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, "Z");
  const pf = o.preflight;
  const uid = pf.metadata.uid ?? "";
  const previous = new Map((pf.status?.modules ?? []).filter((e) => e && typeof e.name === "string").map((e) => [keyOf(e.namespace, e.name), e]));
  const jobsByKey = new Map(o.jobs.map((j) => [keyOf(j.metadata.namespace ?? "", j.metadata.name ?? ""), j]));
  const podsByJob = groupBy(o.pods, (p) => p.metadata.ownerReferences?.find((r) => r.kind === "Job")?.uid ?? "");
  const expectedJobs = new Set<string>();
  const create: Job[] = [];
  const deletions: JobDeletion[] = [];
  const outcomes: PlannedOutcome[] = [];
  let slots = Math.max(0, config.maxRunningJobs - o.runningJobs);
  let nextLookMs = Infinity;
  const lookAt = (ms: number) => {
    if (ms > nowMs) nextLookMs = Math.min(nextLookMs, ms);
  };

  /** An entry in the given state; the transition time moves only when stage or status does. */
  const entry = (m: Module, status: VerificationStatus, reason: string, extra: Partial<PreflightModuleStatus> = {}): PreflightModuleStatus => {
    const namespace = m.metadata.namespace!;
    const name = m.metadata.name!;
    const prev = previous.get(keyOf(namespace, name));
    const stage = "image";
    const moved = !prev || prev.verificationStatus !== status || prev.verificationStage !== stage;
    return {
      namespace,
      name,
      lastTransitionTime: moved || !prev.lastTransitionTime ? now : prev.lastTransitionTime,
      statusReason: cut(reason),
      verificationStage: stage,
      verificationStatus: status,
      ...extra,
    };
  };

  /** When a check that ended in `e` is due again: never for `true`, after the revalidation period for `false`, after backoff for `error`. */
  const dueAtMs = (e: PreflightModuleStatus): number => {
    const last = timeMs(e.lastCheckTime);
    if (e.verificationStatus === "true") return Infinity;
    if (Number.isNaN(last) || e.verificationStatus === "unknown") return -Infinity;
    if (e.verificationStatus === "false") return last + config.revalidateAfterMs;
    return last + backoffDelay(Math.max(0, (e.consecutiveErrors ?? 1) - 1), config.errorBackoff);
  };

  const checkedBefore = (hash: string, prev: PreflightModuleStatus | undefined) => (prev?.specHash === hash && prev.verificationStatus !== "unknown" ? prev : undefined);

  const live = o.modules.filter(isLive);
  // Modules never checked first, then the longest unchecked: the cap should not starve anyone.
  const order = [...live].sort((a, b) => {
    const pa = previous.get(keyOf(a.metadata.namespace!, a.metadata.name!));
    const pb = previous.get(keyOf(b.metadata.namespace!, b.metadata.name!));
    return (pa ? 1 : 0) - (pb ? 1 : 0) || (timeMs(pa?.lastCheckTime) || 0) - (timeMs(pb?.lastCheckTime) || 0) || compare(keyOf(a.metadata.namespace!, a.metadata.name!), keyOf(b.metadata.namespace!, b.metadata.name!));
  });

  const entries: PreflightModuleStatus[] = [];
  for (const m of order) {
    const namespace = m.metadata.namespace!;
    const name = m.metadata.name!;
    const prev = previous.get(keyOf(namespace, name));
    const hash = moduleSpecHash(m);
    if (o.kernel.kind === "pending") {
      entries.push(prev ?? entry(m, "unknown", `waiting: reading the kernel of ${pf.spec.releaseImage}`, { specHash: hash }));
      continue;
    }
    if (o.kernel.kind === "failed") {
      const unchanged = prev?.verificationStatus === "error" && prev.statusReason === cut(o.kernel.reason) && prev.specHash === hash;
      entries.push(unchanged ? prev : entry(m, "error", o.kernel.reason, { specHash: hash, lastCheckTime: now }));
      continue;
    }
    const kernel = o.kernel.kernel;
    const same = checkedBefore(hash, prev);
    const target = resolveModuleTarget(m, kernel);
    if (!target.ok) {
      // Decided from the spec alone, no Job: the verdict changes only with the spec.
      const status = target.skip ? "true" : "false";
      const reason = target.skip ? "nothing to validate: the Module has no moduleLoader" : `${target.reason}`;
      const keep = same && same.verificationStatus === status && same.statusReason === cut(reason);
      entries.push(keep ? same : entry(m, status, reason, { specHash: hash, lastCheckTime: now }));
      continue;
    }
    if (same?.verificationStatus === "true") {
      // Verified for this spec: never again (a Job still around is left to its TTL).
      expectedJobs.add(keyOf(namespace, jobName({ preflightUid: uid, namespace, module: name, stage: "image", specHash: hash })));
      entries.push(same);
      continue;
    }
    const jobId = jobName({ preflightUid: uid, namespace, module: name, stage: "image", specHash: hash });
    const jobKey = keyOf(namespace, jobId);
    expectedJobs.add(jobKey);
    const existing = jobsByKey.get(jobKey);
    const failure = o.creationFailures.get(jobKey);

    if (existing) {
      const outcome = readJobOutcome(existing, podsByJob.get(existing.metadata.uid ?? "") ?? [], o.events, {
        namespace,
        name,
        nowMs,
        stuckAfterMs: config.stuckAfterMs,
        deadlineSeconds: config.jobDeadlineSeconds,
      });
      entries.push(fromOutcome(m, outcome, existing, same, hash));
      continue;
    }
    if (failure && !(same && timeMs(same.lastCheckTime) >= timeMs(failure.at))) {
      outcomes.push({ stage: "image", verdict: "error" });
      entries.push(entry(m, "error", `cannot create the image-check Job ${jobId}: ${failure.message}`, { specHash: hash, lastCheckTime: failure.at, consecutiveErrors: (same?.consecutiveErrors ?? 0) + 1 }));
      lookAt(timeMs(failure.at) + backoffDelay(same?.consecutiveErrors ?? 0, config.errorBackoff));
      continue;
    }
    if (o.pendingCreates.has(jobKey)) {
      entries.push(same ?? entry(m, "unknown", `image check starting: Job ${jobId}`, { specHash: hash }));
      continue;
    }
    const due = same ? dueAtMs(same) : -Infinity;
    if (due > nowMs) {
      lookAt(due);
      entries.push(same!);
      continue;
    }
    if (slots > 0) {
      slots--;
      create.push(buildImageJob({ preflight: { name: pf.metadata.name!, uid }, module: m, kernel, specHash: hash, image: config.jobImage, deadlineSeconds: config.jobDeadlineSeconds }));
      entries.push(same ?? entry(m, "unknown", `image check starting: Job ${jobId}`, { specHash: hash }));
    } else {
      entries.push(same ?? entry(m, "unknown", `waiting: ${o.runningJobs + create.length} Jobs running (cap ${config.maxRunningJobs})`, { specHash: hash }));
    }
  }

  /** The entry a Job's outcome gives, and what to do with the Job. */
  function fromOutcome(m: Module, outcome: JobOutcome, job: Job, same: PreflightModuleStatus | undefined, hash: string): PreflightModuleStatus {
    const jobRef = { namespace: job.metadata.namespace ?? "", name: job.metadata.name ?? "", ...(job.metadata.uid && { uid: job.metadata.uid }) };
    if (outcome.state === "running") {
      if (outcome.sinceMs !== undefined) lookAt(outcome.sinceMs + config.stuckAfterMs);
      // A recheck keeps the verdict it may replace; a first check is unknown until it ends.
      return same ?? entry(m, "unknown", `image check running: ${outcome.detail}`, { specHash: hash });
    }
    if (outcome.state === "stuck") {
      const recorded = same?.verificationStatus === "error" && timeMs(same.lastCheckTime) >= timeMs(job.metadata.creationTimestamp);
      deletions.push({ ...jobRef, why: "its Pod cannot start; a new Job is created after the retry backoff" });
      if (recorded) return same;
      outcomes.push({ stage: "image", verdict: "error" });
      return entry(m, "error", outcome.reason, { specHash: hash, lastCheckTime: now, consecutiveErrors: (same?.consecutiveErrors ?? 0) + 1 });
    }
    const recorded = same && same.lastCheckTime === outcome.finishedAt && same.verificationStatus === outcome.verdict;
    if (!recorded) outcomes.push({ stage: "image", verdict: outcome.verdict });
    const e = recorded
      ? same
      : entry(m, outcome.verdict, outcome.reason, { specHash: hash, lastCheckTime: outcome.finishedAt, ...(outcome.verdict === "error" && { consecutiveErrors: (same?.consecutiveErrors ?? 0) + 1 }) });
    const due = dueAtMs(e);
    if (due <= nowMs) deletions.push({ ...jobRef, why: `checking again: ${e.verificationStatus === "false" ? "the revalidation period has passed" : "the retry backoff has passed"}` });
    else lookAt(due);
    return e;
  }

  if (o.kernel.kind === "known") {
    for (const j of o.jobs) {
      const key = keyOf(j.metadata.namespace ?? "", j.metadata.name ?? "");
      if (!expectedJobs.has(key)) deletions.push({ namespace: j.metadata.namespace ?? "", name: j.metadata.name ?? "", ...(j.metadata.uid && { uid: j.metadata.uid }), why: "its Module was deleted or changed" });
    }
  }

  const listed = withinBudget([...entries].sort((a, b) => compare(keyOf(a.namespace, a.name), keyOf(b.namespace, b.name))).slice(0, MAX_STATUS_MODULES));
  const kernelVersion = o.kernel.kind === "known" ? o.kernel.kernel : pf.status?.kernelVersion;
  const blocked = o.kernel.kind === "pending" ? `waiting: reading the kernel of ${pf.spec.releaseImage}` : undefined;
  const status: PreflightValidationOCPStatus = {
    ...pf.status,
    modules: listed,
    conditions: setConditions(pf.status?.conditions, preflightConditions({ entries: listed, ...(blocked && { blocked }) }), now, pf.metadata.generation),
    ...(pf.metadata.generation !== undefined && { observedGeneration: pf.metadata.generation }),
    ...(kernelVersion !== undefined && { kernelVersion }),
    summary: summarize(listed),
  };
  return {
    status,
    statusChanged: !sameJson(status, pf.status ?? {}),
    create,
    delete: deletions,
    events: transitionEvents(pf, previous, listed),
    outcomes,
    ...(Number.isFinite(nextLookMs) && { requeueAfterMs: Math.max(0, nextLookMs - nowMs) }),
  };
}

/** Reason lengths tried, in turn, when a long list of entries would make the object too large. */
const REASON_BUDGET_STEPS = [256, 128, 64, 32, 16];

/**
 * The entries, their reasons shortened (verified ones first: theirs say where the module was found,
 * the others' say what to fix) until the list fits STATUS_BUDGET_BYTES. Only very large clusters get here.
 */
function withinBudget(entries: PreflightModuleStatus[]): PreflightModuleStatus[] {
  const size = (es: readonly PreflightModuleStatus[]) => Buffer.byteLength(JSON.stringify(es));
  let out = entries;
  for (const max of REASON_BUDGET_STEPS) {
    if (size(out) <= STATUS_BUDGET_BYTES) return out;
    out = out.map((e) => (e.verificationStatus === "true" && e.statusReason ? { ...e, statusReason: cut(e.statusReason, max) } : e));
    if (size(out) <= STATUS_BUDGET_BYTES) return out;
    out = out.map((e) => (e.statusReason ? { ...e, statusReason: cut(e.statusReason, max) } : e));
  }
  return out;
}

const EVENT_REASONS: Record<VerificationStatus, { type: "Normal" | "Warning"; reason: string }> = {
  true: { type: "Normal", reason: "ModuleVerified" },
  false: { type: "Warning", reason: "ModuleFailed" },
  error: { type: "Warning", reason: "ModuleCheckError" },
  unknown: { type: "Normal", reason: "ModuleChecking" },
};

/** One Event per Module transition (a new Module's first `unknown` is not one). */
function transitionEvents(pf: PreflightValidationOCP, previous: ReadonlyMap<string, PreflightModuleStatus>, entries: readonly PreflightModuleStatus[]): PlannedEvent[] {
  const out: PlannedEvent[] = [];
  for (const e of entries) {
    const prev = previous.get(keyOf(e.namespace, e.name));
    if (prev ? prev.verificationStatus === e.verificationStatus && prev.verificationStage === e.verificationStage : e.verificationStatus === "unknown") continue;
    const { type, reason } = EVENT_REASONS[e.verificationStatus];
    const id = createHash("sha256").update([pf.metadata.uid, e.namespace, e.name, e.verificationStage, e.verificationStatus, e.specHash ?? ""].join("\n")).digest("hex").slice(0, 16);
    out.push({
      name: `${(pf.metadata.name ?? "").slice(0, 200)}.${id}`,
      type,
      reason,
      message: cut(`Module ${e.namespace}/${e.name}: ${e.verificationStatus} at the ${e.verificationStage} stage${e.statusReason ? `: ${e.statusReason}` : ""}`),
    });
  }
  return out;
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const i of items) {
    const k = key(i);
    const list = m.get(k);
    if (list) list.push(i);
    else m.set(k, [i]);
  }
  return m;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Structural equality of JSON values (key order ignored). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

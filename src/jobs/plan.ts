import { createHash } from "node:crypto";
import {
  MAX_STATUS_MODULES,
  MAX_STATUS_REASON_LENGTH,
  STATUS_BUDGET_BYTES,
  type Module,
  type PreflightModuleStatus,
  type VerificationStage,
  type PreflightValidationOCP,
  type PreflightValidationOCPStatus,
  type VerificationStatus,
} from "../api/index.js";
import { type ModuleTarget, type ModuleTargetResult, resolveModuleTarget } from "../kernel/module-target.js";
import { type BackoffOptions, backoffDelay } from "../util/backoff.js";
import { preflightConditions, setConditions, summarize } from "./conditions.js";
import { DOCKERFILE_KEY, buildBuildJob, unsignedImageFor } from "./build-job.js";
import { buildImageJob } from "./image-job.js";
import { SIGN_CERT_KEY, SIGN_CERT_VOLUME, SIGN_KEY_KEY, SIGN_KEY_VOLUME, buildSignJob } from "./sign-job.js";
import { type ConfigMapState, type ObjectRef, STAGES, applicableStages, depmodWarning, precheck, walkStages } from "./stages.js";
import { jobName } from "./job-name.js";
import { readJobOutcome } from "./job-outcome.js";
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
  /** activeDeadlineSeconds of the image-stage and sign-stage Jobs. */
  readonly jobDeadlineSeconds: number;
  /** The buildah image of build-stage Jobs (`--builder-image`). */
  readonly builderImage: string;
  /** activeDeadlineSeconds of build-stage Jobs (`--build-deadline-seconds`). */
  readonly buildDeadlineSeconds: number;
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
  /**
   * While other PFVOs have Modules waiting on the cap: the most Jobs this one may run (its share of
   * the cap) and how many of its own run, so that one PFVO with thousands of Modules cannot keep
   * another's waiting until all of its own are done. Absent: the whole cap.
   */
  readonly capShare?: { readonly jobs: number; readonly running: number; /** PFVOs waiting beside this one. */ readonly others: number };
  /** Build ConfigMaps read so far, by `namespace/name`; one not here is asked for in `Plan.fetch` when the plan needs it. */
  readonly configMaps: ReadonlyMap<string, ConfigMapState>;
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
  readonly stage: VerificationStage;
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
  /** Build ConfigMaps to read before the next plan: Modules about to build, and build or sign verdicts to record (with the depmod warning). */
  readonly fetch: readonly ObjectRef[];
  /** Modules left waiting for a slot under the cap on running Jobs. */
  readonly waitingOnCap: number;
}

const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;

/**
 * What a Module means for a kernel, by object: every PFVO re-plans every Module on every pass, and the
 * caches hand out the same (never mutated) object until the Module changes.
 */
const targets = new WeakMap<Module, Map<string, ModuleTargetResult>>();
function targetFor(m: Module, kernel: string): ModuleTargetResult {
  let byKernel = targets.get(m);
  if (!byKernel) targets.set(m, (byKernel = new Map()));
  let t = byKernel.get(kernel);
  if (!t) byKernel.set(kernel, (t = resolveModuleTarget(m, kernel)));
  return t;
}
const timeMs = (t: string | undefined) => (t ? Date.parse(t) : NaN);
/** `s` in at most `max` UTF-16 units, never ending in half a surrogate pair (the API server would store U+FFFD). */
const cut = (s: string, max = MAX_STATUS_REASON_LENGTH) => {
  if (s.length <= max) return s;
  const end = /[\uD800-\uDBFF]/.test(s[max - 2] ?? "") ? max - 2 : max - 1;
  return `${s.slice(0, end)}…`;
};
/** Whether a recorded reason says `reason`, whole or shortened (to the length cap, or to the status's byte budget). */
const sameReason = (recorded: string | undefined, reason: string) =>
  recorded === cut(reason) || (recorded !== undefined && recorded.endsWith("…") && reason.startsWith(recorded.slice(0, -1)));

/** Why a Module is not listed as a live one: it is being deleted, or is not a Module object at all. */
const isLive = (m: Module) => typeof m?.metadata?.name === "string" && typeof m.metadata.namespace === "string" && !m.metadata.deletionTimestamp;

export function planPreflight(o: Observed, nowMs: number, config: PlanConfig): Plan {
  // metav1.Time precision: whole seconds.
  const now = new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, "Z");
  const pf = o.preflight;
  const uid = pf.metadata.uid ?? "";
  const pushBuilt = pf.spec.pushBuiltImage === true;
  const previous = new Map((pf.status?.modules ?? []).filter((e) => e && typeof e.name === "string").map((e) => [keyOf(e.namespace, e.name), e]));
  const jobsByKey = new Map(o.jobs.map((j) => [keyOf(j.metadata.namespace ?? "", j.metadata.name ?? ""), j]));
  const podsByJob = groupBy(o.pods, (p) => p.metadata.ownerReferences?.find((r) => r.kind === "Job")?.uid ?? "");
  const expectedJobs = new Set<string>();
  const create: Job[] = [];
  const deletions: JobDeletion[] = [];
  const outcomes: PlannedOutcome[] = [];
  const fetches: ObjectRef[] = [];
  let slots = Math.max(0, Math.min(config.maxRunningJobs - o.runningJobs, o.capShare ? o.capShare.jobs - o.capShare.running : Infinity));
  let waitingOnCap = 0;
  let nextLookMs = Infinity;
  const lookAt = (ms: number) => {
    if (ms > nowMs) nextLookMs = Math.min(nextLookMs, ms);
  };

  /** An entry in the given state; the transition time moves only when stage or status does. */
  const entry = (m: Module, status: VerificationStatus, reason: string, extra: Partial<PreflightModuleStatus> = {}, stage: VerificationStage = "image"): PreflightModuleStatus => {
    const namespace = m.metadata.namespace!;
    const name = m.metadata.name!;
    const prev = previous.get(keyOf(namespace, name));
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

  /** True (and looks again then) while the recheck of a verdict is not due. */
  const notDueYet = (e: PreflightModuleStatus): boolean => {
    const due = dueAtMs(e);
    lookAt(due);
    return due > nowMs;
  };

  const checkedBefore = (hash: string, prev: PreflightModuleStatus | undefined) => (prev?.specHash === hash && prev.verificationStatus !== "unknown" ? prev : undefined);

  // Modules never checked first, then the longest unchecked: the cap should not starve anyone.
  const order = o.modules
    .filter(isLive)
    .map((m) => {
      const key = keyOf(m.metadata.namespace!, m.metadata.name!);
      const prev = previous.get(key);
      return { m, key, checked: prev ? 1 : 0, last: timeMs(prev?.lastCheckTime) || 0 };
    })
    .sort((a, b) => a.checked - b.checked || a.last - b.last || compare(a.key, b.key))
    .map((x) => x.m);

  /** The entry of one live Module, and the Jobs, deletions, fetches and outcomes its round adds. */
  function planModule(m: Module): PreflightModuleStatus {
    const namespace = m.metadata.namespace!;
    const name = m.metadata.name!;
    const prev = previous.get(keyOf(namespace, name));
    const hash = moduleSpecHash(m);
    if (o.kernel.kind === "pending") return prev ?? entry(m, "unknown", `waiting: reading the kernel of ${pf.spec.releaseImage}`, { specHash: hash });
    if (o.kernel.kind === "failed") {
      const unchanged = prev?.verificationStatus === "error" && sameReason(prev.statusReason, o.kernel.reason) && prev.specHash === hash;
      return unchanged ? prev : entry(m, "error", o.kernel.reason, { specHash: hash, lastCheckTime: now });
    }
    const kernel = o.kernel.kernel;
    const same = checkedBefore(hash, prev);
    const target = targetFor(m, kernel);
    if (!target.ok) {
      // Decided from the spec alone, no Job: the verdict changes only with the spec.
      const status = target.skip ? "true" : "false";
      const reason = target.skip ? "nothing to validate: the Module has no moduleLoader" : `${target.reason}`;
      const keep = same && same.verificationStatus === status && sameReason(same.statusReason, reason);
      return keep ? same : entry(m, status, reason, { specHash: hash, lastCheckTime: now });
    }
    const stageJobs = STAGES.map((stage) => ({ stage, name: jobName({ preflightUid: uid, namespace, module: name, stage, specHash: hash, push: pushBuilt && stage !== "image" }) }));
    // Every stage's Job of this spec is kept (for `kubectl logs`) until its TTL or a recheck.
    for (const j of stageJobs) expectedJobs.add(keyOf(namespace, j.name));
    // Verified for this spec: never again.
    if (same?.verificationStatus === "true") return same;
    return planRound(m, target.target, hash, same, kernel, stageJobs);
  }

  /**
   * `planModule`, or, when it throws (a Module of a shape no check foresaw: KMM's CRD, not ours, may
   * let anything through), an `error` entry saying so, with whatever that Module's round had added
   * taken back. Every PFVO plans every Module, so one such Module must not stop them all.
   */
  function planModuleIsolated(m: Module): PreflightModuleStatus {
    const before = { create: create.length, deletions: deletions.length, outcomes: outcomes.length, fetches: fetches.length, slots };
    try {
      return planModule(m);
    } catch (err) {
      create.length = before.create;
      deletions.length = before.deletions;
      outcomes.length = before.outcomes;
      fetches.length = before.fetches;
      slots = before.slots;
      const reason = `kmm-preflight could not read this Module (${err instanceof Error ? err.message : String(err)}): a field may have a type KMM's CRD did not check; run kmm-preflight validate -f on the Module`;
      const prev = previous.get(keyOf(m.metadata.namespace!, m.metadata.name!));
      return prev?.verificationStatus === "error" && sameReason(prev.statusReason, reason) ? prev : entry(m, "error", reason, { lastCheckTime: now });
    }
  }

  const entries = order.map(planModuleIsolated);

  /**
   * One round of stages for a Module (image, then build and sign where they apply), read from the
   * Jobs of its spec that exist: the entry it gives, and the Jobs to create and delete.
   */
  function planRound(m: Module, target: ModuleTarget, hash: string, same: PreflightModuleStatus | undefined, kernel: string, stageJobs: readonly { stage: VerificationStage; name: string }[]): PreflightModuleStatus {
    const namespace = m.metadata.namespace!;
    const module = m.metadata.name!;
    const jobOf = (stage: VerificationStage) => jobsByKey.get(keyOf(namespace, stageJobs.find((j) => j.stage === stage)!.name));
    const stages = applicableStages(target);
    const round = walkStages(stages, (stage) => {
      const job = jobOf(stage);
      const pre = precheck(stage, target, stages, pushBuilt, o.configMaps, namespace, job !== undefined);
      if (pre) return pre;
      const key = keyOf(namespace, stageJobs.find((j) => j.stage === stage)!.name);
      if (!job) {
        if (o.pendingCreates.has(key)) return { kind: "starting" };
        // A refusal stands until its error's backoff has passed; then the Job is created again.
        const failure = o.creationFailures.get(key);
        const retryDue = failure && same?.verificationStatus === "error" && same.verificationStage === stage && same.lastCheckTime === failure.at && dueAtMs(same) <= nowMs;
        return failure && !retryDue ? { kind: "refused", ...failure } : { kind: "absent" };
      }
      const outcome = readJobOutcome(job, podsByJob.get(job.metadata.uid ?? "") ?? [], o.events, {
        namespace,
        name: module,
        nowMs,
        stuckAfterMs: config.stuckAfterMs,
        deadlineSeconds: stage === "build" ? config.buildDeadlineSeconds : config.jobDeadlineSeconds,
        stage,
        ...(stage === "sign" && {
          verdictVolumes: {
            [SIGN_KEY_VOLUME]: `Secret ${namespace}/${target.sign?.keySecret?.name} (sign.keySecret, key "${SIGN_KEY_KEY}")`,
            [SIGN_CERT_VOLUME]: `Secret ${namespace}/${target.sign?.certSecret?.name} (sign.certSecret, key "${SIGN_CERT_KEY}")`,
          },
        }),
      });
      return { kind: "job", job, outcome };
    });
    const jobRef = (stage: VerificationStage) => {
      const j = jobOf(stage);
      return { namespace, name: stageJobs.find((x) => x.stage === stage)!.name, ...(j?.metadata.uid && { uid: j.metadata.uid }) };
    };
    const firstOrKeep = (stage: VerificationStage, reason: string) => same ?? entry(m, "unknown", reason, { specHash: hash }, stage);

    switch (round.kind) {
      case "needs": {
        // Read only to start the stage: a verdict not due for a recheck yet stands (no API request per pass).
        if (same && notDueYet(same)) return same;
        fetches.push(round.configMap);
        return firstOrKeep(round.stage, `${round.stage} stage: reading ConfigMap ${round.configMap.namespace}/${round.configMap.name}`);
      }
      case "running":
        if (round.sinceMs !== undefined) lookAt(round.sinceMs + config.stuckAfterMs);
        // A recheck keeps the verdict it may replace; a first round is unknown until it ends.
        return firstOrKeep(round.stage, `${round.stage} stage running: ${round.detail}${round.carried ? ` (${round.carried})` : ""}`);
      case "starting":
        return firstOrKeep(round.stage, `${round.stage} stage starting: Job ${jobRef(round.stage).name}`);
      case "create": {
        if (same && notDueYet(same)) return same;
        if (slots <= 0) {
          waitingOnCap++;
          const shared = o.capShare ? `; ${o.capShare.jobs} for this PreflightValidationOCP while ${o.capShare.others} other${o.capShare.others > 1 ? "s" : ""} wait` : "";
          return firstOrKeep(round.stage, `waiting: ${o.runningJobs + create.length} Jobs running (cap ${config.maxRunningJobs}${shared})`);
        }
        slots--;
        create.push(stageJob(round.stage, m, target, hash, kernel, pushBuilt));
        return firstOrKeep(round.stage, `${round.stage} stage starting: Job ${jobRef(round.stage).name}${round.carried ? ` (${round.carried})` : ""}`);
      }
      case "final": {
        const r = round;
        // A depmod that would index the wrong kernel stays in the verdicts of the stages after the image
        // stage (the sign stage's verdict is the Module's when both apply): the ConfigMap is read to record
        // one. Only here: the Dockerfile is scanned for verdicts, not on every pass of a running round.
        const cmName = stages.includes("build") ? target.build?.dockerfileConfigMap?.name : undefined;
        const warns = r.stage !== "image" && cmName !== undefined;
        const cm = warns ? o.configMaps.get(keyOf(namespace, cmName)) : undefined;
        const warning = typeof cm === "object" ? depmodWarning(cm.data[DOCKERFILE_KEY] ?? "") : undefined;
        const reason = warns && warning ? `${r.reason}; ${warning}` : r.reason;
        let e: PreflightModuleStatus;
        const recorded =
          same &&
          same.verificationStage === r.stage &&
          same.verificationStatus === r.verdict &&
          (r.finishedAt !== undefined
            ? same.lastCheckTime === r.finishedAt
            : r.stuck
              ? timeMs(same.lastCheckTime) >= timeMs(jobOf(r.stage)?.metadata.creationTimestamp)
              : sameReason(same.statusReason, reason) || (warns && cm === undefined && !!same.statusReason?.startsWith(`${r.reason}; warning: `)));
        if (!recorded && warns && cm === undefined) {
          fetches.push({ namespace, name: cmName });
          return firstOrKeep(r.stage, `${r.stage} stage: reading ConfigMap ${namespace}/${cmName}`);
        }
        if (recorded) e = same;
        else {
          if (r.counted) outcomes.push({ stage: r.stage, verdict: r.verdict });
          e = entry(m, r.verdict, reason, { specHash: hash, lastCheckTime: r.finishedAt ?? now, ...(r.verdict === "error" && { consecutiveErrors: (same?.consecutiveErrors ?? 0) + 1 }) }, r.stage);
        }
        // A Pod that cannot start: an error is retried at its stage; a false (a sign Secret missing) is
        // checked again as a revalidation is, a new round from the image stage, so the whole round goes.
        if (r.stuck && r.verdict === "false") {
          for (const { stage } of stageJobs) if (jobOf(stage)) deletions.push({ ...jobRef(stage), why: "its Pod cannot start; a new round starts after the revalidation period" });
        } else if (r.stuck) deletions.push({ ...jobRef(r.stage), why: "its Pod cannot start; a new Job is created after the retry backoff" });
        const due = dueAtMs(e);
        if (due > nowMs) lookAt(due);
        else if (e.verificationStatus === "false") {
          // Revalidation starts a new round from the image stage: the image may have been pushed since.
          for (const { stage } of stageJobs) if (jobOf(stage)) deletions.push({ ...jobRef(stage), why: "checking again: the revalidation period has passed" });
        } else if (!r.stuck && jobOf(r.stage)) deletions.push({ ...jobRef(r.stage), why: "checking again: the retry backoff has passed" });
        return e;
      }
    }
  }

  /** The Job that runs `stage` for the Module. */
  function stageJob(stage: VerificationStage, m: Module, target: ModuleTarget, hash: string, kernel: string, pushBuilt: boolean): Job {
    const preflight = { name: pf.metadata.name!, uid };
    const base = { preflight, module: m, kernel, specHash: hash, image: config.jobImage, deadlineSeconds: config.jobDeadlineSeconds };
    if (stage === "image") return buildImageJob(base);
    const id = { namespace: m.metadata.namespace!, name: m.metadata.name! };
    const signs = target.sign !== undefined;
    if (stage === "build") {
      const destination = pushBuilt && signs ? unsignedImageFor(target.imageReference, id, kernel) : target.containerImage;
      return buildBuildJob({ preflight, module: m, target, specHash: hash, builderImage: config.builderImage, deadlineSeconds: config.buildDeadlineSeconds, destination, push: pushBuilt });
    }
    const unsignedImage = target.build ? unsignedImageFor(target.imageReference, id, kernel) : target.sign!.unsignedImage!;
    return buildSignJob({ ...base, keySecret: target.sign!.keySecret!.name!, certSecret: target.sign!.certSecret!.name!, unsignedImage, outputImage: target.containerImage, push: pushBuilt });
  }

  if (o.kernel.kind === "known") {
    for (const j of o.jobs) {
      const key = keyOf(j.metadata.namespace ?? "", j.metadata.name ?? "");
      if (!expectedJobs.has(key)) deletions.push({ namespace: j.metadata.namespace ?? "", name: j.metadata.name ?? "", ...(j.metadata.uid && { uid: j.metadata.uid }), why: "its Module was deleted or changed" });
    }
  }

  const sorted = [...entries].sort((a, b) => compare(keyOf(a.namespace, a.name), keyOf(b.namespace, b.name)));
  const listed = withinBudget(sorted.slice(0, MAX_STATUS_MODULES));
  const kernelVersion = o.kernel.kind === "known" ? o.kernel.kernel : pf.status?.kernelVersion;
  const blocked = o.kernel.kind === "pending" ? `waiting: reading the kernel of ${pf.spec.releaseImage}` : undefined;
  const status: PreflightValidationOCPStatus = {
    ...pf.status,
    modules: listed,
    // Every Module counts, listed or not: a Module past the list's cap that fails keeps Verified from being True.
    conditions: setConditions(pf.status?.conditions, preflightConditions({ entries: sorted, ...(blocked && { blocked }) }), now, pf.metadata.generation),
    ...(pf.metadata.generation !== undefined && { observedGeneration: pf.metadata.generation }),
    ...(kernelVersion !== undefined && { kernelVersion }),
    summary: summarize(sorted),
  };
  return {
    status,
    statusChanged: !sameJson(status, pf.status ?? {}),
    create,
    delete: deletions,
    events: transitionEvents(pf, previous, listed),
    outcomes,
    ...(Number.isFinite(nextLookMs) && { requeueAfterMs: Math.max(0, nextLookMs - nowMs) }),
    fetch: fetches,
    waitingOnCap,
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

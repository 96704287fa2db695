import type { Job, KubeEvent, Pod } from "./objects.js";
import { CONTAINER_NAME } from "./image-job.js";
import { decodeTerminationMessage } from "./termination-message.js";

// What a validation Job says about one Module, read from the Job's conditions, its Pod's container
// state (exit code and termination message) and the kubelet's Warning Events: pure, so every way a
// Job can end or get stuck is a table test.

export type JobOutcome =
  /** Still going; `detail` says where (for the status reason and `kmm-preflight status`). */
  | { readonly state: "running"; readonly detail: string; readonly sinceMs?: number }
  /** The Pod cannot start (image pull, missing Secret, unschedulable, quota): an `error` verdict now, not at the deadline. */
  | { readonly state: "stuck"; readonly reason: string; /** The Pod cannot start for a reason that is the Module's verdict, not an error: a sign Secret it cannot mount. */ readonly verdict?: "false" }
  | { readonly state: "finished"; readonly verdict: "true" | "false" | "error"; readonly reason: string; readonly finishedAt: string };

/** How long a Pod may look stuck before it counts as stuck: a first ErrImagePull or FailedMount can be a blip. */
export const DEFAULT_STUCK_AFTER_MS = 30_000;

/** Waiting reasons that mean the container will not start without someone changing something. */
const STUCK_WAITING = new Set(["ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError", "CreateContainerError", "ErrImageNeverPull", "RunContainerError"]);
/** Reasons that never clear up by waiting: reported at once rather than after the grace period. */
const HOPELESS_WAITING = new Set(["InvalidImageName", "ErrImageNeverPull"]);
/** kubelet and Job-controller Warning reasons that keep a Pod (or the Job's Pod) from starting. */
const STUCK_EVENTS = new Set(["FailedMount", "FailedAttachVolume", "FailedCreate", "FailedScheduling", "FailedCreatePodSandBox", "Failed"]);

export interface OutcomeContext {
  /** Which stage's Job: image and sign Jobs report through a termination message, build Jobs through their exit and log. */
  readonly stage?: "image" | "build" | "sign";
  /** Module this outcome is about (the Job checks one). */
  readonly namespace: string;
  readonly name: string;
  /** Wall-clock now, ms. */
  readonly nowMs: number;
  /** How long a Pod may look stuck before it counts as stuck (a first ErrImagePull can be a blip). */
  readonly stuckAfterMs: number;
  readonly deadlineSeconds: number;
  /**
   * Volumes whose FailedMount is the Module's `false` (issue 15: a missing sign key or certificate
   * Secret), by volume name, with what to call them in the reason.
   */
  readonly verdictVolumes?: Readonly<Record<string, string>>;
}

const cond = (job: Job, type: string) => job.status?.conditions?.find((c) => c.type === type && c.status === "True");
const timeMs = (t: string | undefined) => (t ? Date.parse(t) : NaN);
const podOf = (pods: readonly Pod[]) =>
  [...pods].sort((a, b) => timeMs(b.metadata.creationTimestamp) - timeMs(a.metadata.creationTimestamp) || 0)[0];
const containerOf = (pod: Pod | undefined) => pod?.status?.containerStatuses?.find((c) => c.name === CONTAINER_NAME) ?? pod?.status?.containerStatuses?.[0];
/** Every container's status, init containers first: a build's failure may be in either. */
const allContainers = (pod: Pod | undefined) => [...(pod?.status?.initContainerStatuses ?? []), ...(pod?.status?.containerStatuses ?? [])];
/** The last lines of what a failed build printed (its termination message falls back to the log tail). */
const tail = (s: string | undefined, max = 600) => {
  const t = (s ?? "").trim();
  return t.length > max ? `…${t.slice(-max)}` : t;
};
const oneLine = (s: string) => s.replace(/\s+/g, " ").trim();
const WHAT = { image: "image-check", build: "build", sign: "sign" } as const;
const what = (ctx: OutcomeContext) => WHAT[ctx.stage ?? "image"];
/** What a Job's container does, as a reason names it. */
const STEP = { image: "the image check", build: "the build", sign: "the sign step" } as const;
const step = (ctx: OutcomeContext) => STEP[ctx.stage ?? "image"];

/** The outcome of `job`, given its Pods and the Warning Events about the Job and its Pods. */
export function readJobOutcome(job: Job, pods: readonly Pod[], events: readonly KubeEvent[], ctx: OutcomeContext): JobOutcome {
  const pod = podOf(pods);
  const finished = cond(job, "Complete") ?? cond(job, "Failed");
  if (finished) {
    const at = finished.lastTransitionTime ?? job.status?.completionTime ?? new Date(ctx.nowMs).toISOString();
    return ctx.stage === "build" ? finishedBuild(job, pod, finished.type === "Complete", at, ctx) : finishedOutcome(job, pod, finished.type === "Complete", at, ctx);
  }
  return stuckOrRunning(job, pod, events, ctx);
}

function finishedOutcome(job: Job, pod: Pod | undefined, complete: boolean, finishedAt: string, ctx: OutcomeContext): JobOutcome {
  const failed = cond(job, "Failed");
  const done = (verdict: "true" | "false" | "error", reason: string): JobOutcome => ({ state: "finished", verdict, reason, finishedAt });
  if (failed?.reason === "DeadlineExceeded") {
    return done("error", `${step(ctx)} did not finish within ${ctx.deadlineSeconds} s (activeDeadlineSeconds): the registry may be slow or unreachable from the cluster; kubectl logs -n ${job.metadata.namespace} job/${job.metadata.name}`);
  }
  const terminated = containerOf(pod)?.state?.terminated;
  if (!terminated) {
    return done("error", complete ? "the Job completed but its Pod is gone, so its verdict is unknown; checking again" : `the Job failed (${failed?.reason ?? "no reason given"}: ${oneLine(failed?.message ?? "")}) before its Pod reported`);
  }
  if (terminated.reason === "OOMKilled") return done("error", `${step(ctx)} ran out of memory (the Job's container limit); report this with the Job's log`);
  const decoded = decodeTerminationMessage(terminated.message);
  const exit = terminated.exitCode;
  if (decoded.ok) {
    const r = decoded.results.find((x) => x.namespace === ctx.namespace && x.name === ctx.name);
    if (r) return done(r.verificationStatus, r.reason);
    if (decoded.errors.length) return done("error", decoded.errors.join("; "));
    if (decoded.truncated && (exit === 0 || exit === 1)) return done(exit === 0 ? "true" : "false", `verdict from the exit code; the details did not fit the termination message: kubectl logs -n ${job.metadata.namespace} job/${job.metadata.name}`);
    return done("error", `${step(ctx)} reported no result for Module ${ctx.namespace}/${ctx.name}`);
  }
  return done("error", `${step(ctx)} exited with code ${exit ?? "?"}${terminated.reason ? ` (${terminated.reason})` : ""} without a readable report: ${decoded.error}; kubectl logs -n ${job.metadata.namespace} job/${job.metadata.name}`);
}

/** A build Job: its success is the build's; a failure names the container (build or push) and its log tail. */
function finishedBuild(job: Job, pod: Pod | undefined, complete: boolean, finishedAt: string, ctx: OutcomeContext): JobOutcome {
  const done = (verdict: "true" | "false" | "error", reason: string): JobOutcome => ({ state: "finished", verdict, reason, finishedAt });
  if (complete) return done("true", "the build succeeded");
  const logs = `kubectl logs -n ${job.metadata.namespace} job/${job.metadata.name} --all-containers`;
  if (cond(job, "Failed")?.reason === "DeadlineExceeded") return done("error", `the build did not finish within ${ctx.deadlineSeconds} s (activeDeadlineSeconds); ${logs}`);
  const failed = allContainers(pod).find((c) => c.state?.terminated && c.state.terminated.exitCode !== 0);
  const t = failed?.state?.terminated;
  if (!t) return done("error", `the build Job failed before its Pod reported; ${logs}`);
  if (t.reason === "OOMKilled") return done("error", `the ${failed.name} container ran out of memory (its limit); ${logs}`);
  const said = tail(t.message);
  // A failed push is the registry's answer (credentials, reachability), not the Dockerfile's: retried.
  if (failed.name === "push") return done("error", `the build succeeded but its image could not be pushed (exit code ${t.exitCode})${said ? `: ${said}` : ""}; ${logs}`);
  return done("false", `the build failed (exit code ${t.exitCode})${said ? `: ${said}` : ""}; ${logs}`);
}

function stuckOrRunning(job: Job, pod: Pod | undefined, events: readonly KubeEvent[], ctx: OutcomeContext): JobOutcome {
  const since = timeMs(pod?.metadata.creationTimestamp ?? job.metadata.creationTimestamp);
  const grown = !Number.isNaN(since) && ctx.nowMs - since >= ctx.stuckAfterMs;
  const waiting = allContainers(pod).map((c) => c.state?.waiting).find((w) => w?.reason && STUCK_WAITING.has(w.reason)) ?? containerOf(pod)?.state?.waiting;
  if (waiting?.reason && STUCK_WAITING.has(waiting.reason) && (grown || HOPELESS_WAITING.has(waiting.reason))) {
    return { state: "stuck", reason: `the ${what(ctx)} Pod cannot start: ${waiting.reason}${waiting.message ? `: ${oneLine(waiting.message)}` : ""}` };
  }
  if (grown) {
    const unschedulable = pod?.status?.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False" && c.reason === "Unschedulable");
    if (unschedulable) return { state: "stuck", reason: `the ${what(ctx)} Pod cannot be scheduled: ${oneLine(unschedulable.message ?? "Unschedulable")}` };
    const about = new Set([job.metadata.uid, pod?.metadata.uid].filter(Boolean));
    const warning = [...events]
      .filter((e) => e.type === "Warning" && STUCK_EVENTS.has(e.reason ?? "") && about.has(e.involvedObject.uid))
      .sort((a, b) => timeMs(b.lastTimestamp ?? b.eventTime ?? undefined) - timeMs(a.lastTimestamp ?? a.eventTime ?? undefined))[0];
    const volume = warning?.reason === "FailedMount" ? /for volume "([^"]+)"/.exec(warning.message ?? "")?.[1] : undefined;
    const missing = volume !== undefined ? ctx.verdictVolumes?.[volume] : undefined;
    if (warning && missing) return { state: "stuck", verdict: "false", reason: `the ${what(ctx)} Pod cannot mount ${missing}: ${oneLine(warning.message ?? "")}` };
    if (warning) return { state: "stuck", reason: `the ${what(ctx)} ${warning.involvedObject.kind === "Job" ? "Job cannot create its Pod" : "Pod cannot start"}: ${warning.reason}: ${oneLine(warning.message ?? "")}` };
  }
  const phase = pod ? (pod.status?.phase ?? "Pending") : "not created yet";
  // sinceMs: when the grace period started, so the planner can look again once it has passed.
  return { state: "running", detail: `Job ${job.metadata.name}, Pod ${phase}`, ...(!Number.isNaN(since) && { sinceMs: since }) };
}

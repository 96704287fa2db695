import { JOB_TYPE_LABEL } from "../jobs/labels.js";
import { DEFAULT_STUCK_AFTER_MS, readJobOutcome } from "../jobs/job-outcome.js";
import type { Job, Pod } from "../jobs/objects.js";
import { isObject } from "../util/is-object.js";

// `kmm-preflight status --module`: the Module's validation Jobs as the cluster has them (a Job lives a
// day after it finished), each with its Pod's phase, exit code and what the check said: the part of
// "why is this Module stuck" that status.modules alone does not show.

export interface JobSummary {
  /** The PreflightValidationOCP the Job validates for (its controller). */
  readonly preflight: string;
  readonly namespace: string;
  readonly name: string;
  readonly stage: string;
  readonly created: string | null;
  readonly pod: string | null;
  readonly podPhase: string | null;
  readonly exitCode: number | null;
  /** The container's terminated or waiting reason (Completed, Error, OOMKilled, ImagePullBackOff...). */
  readonly containerReason: string | null;
  /** What the Job says about the Module: running, stuck (why), or its verdict and reason. */
  readonly outcome: string;
}

const str = (v: unknown) => (typeof v === "string" ? v : null);

/** Never throws: Jobs and Pods come from the API server, untrusted. */
export function summarizeJobs(jobs: readonly unknown[], pods: readonly unknown[], module: { namespace: string; name: string }, now: Date): JobSummary[] {
  const podList = pods.filter((p): p is Pod => isObject(p) && isObject(p["metadata"]));
  return jobs
    .filter((j): j is Job => isObject(j) && isObject(j["metadata"]) && isObject(j["spec"]))
    .map((job) => {
      const uid = job.metadata.uid;
      const own = podList.filter((p) => p.metadata.ownerReferences?.some((r) => r.uid === uid));
      const pod = own.sort((a, b) => (str(b.metadata.creationTimestamp) ?? "").localeCompare(str(a.metadata.creationTimestamp) ?? ""))[0];
      const state = pod?.status?.containerStatuses?.[0]?.state;
      const stage = job.metadata.labels?.[JOB_TYPE_LABEL] ?? "";
      let outcome: string;
      try {
        const o = readJobOutcome(job, own, [], {
          ...module,
          ...((stage === "image" || stage === "build" || stage === "sign") && { stage }),
          nowMs: now.getTime(),
          stuckAfterMs: DEFAULT_STUCK_AFTER_MS,
          deadlineSeconds: job.spec.activeDeadlineSeconds ?? 0,
        });
        outcome = o.state === "finished" ? `${o.verdict}: ${o.reason}` : o.state === "stuck" ? `stuck: ${o.reason}` : `running (${o.detail})`;
      } catch (err) {
        outcome = `unreadable: ${err instanceof Error ? err.message : String(err)}`;
      }
      return {
        preflight: job.metadata.ownerReferences?.find((r) => r.controller)?.name ?? "",
        namespace: job.metadata.namespace ?? "",
        name: job.metadata.name ?? "",
        stage,
        created: str(job.metadata.creationTimestamp),
        pod: pod?.metadata.name ?? null,
        podPhase: str(pod?.status?.phase),
        exitCode: typeof state?.terminated?.exitCode === "number" ? state.terminated.exitCode : null,
        containerReason: str(state?.terminated?.reason) ?? str(state?.waiting?.reason),
        outcome,
      };
    })
    .sort((a, b) => a.preflight.localeCompare(b.preflight) || (b.created ?? "").localeCompare(a.created ?? ""));
}

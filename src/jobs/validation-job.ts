import { PREFLIGHT_API_VERSION, PREFLIGHT_KIND, type VerificationStage } from "../api/index.js";
import { jobName } from "./job-name.js";
import { JOB_TYPE_LABEL, MANAGED_BY, MANAGED_BY_LABEL, MODULE_NAME_LABEL, PREFLIGHT_LABEL, SPEC_HASH_LABEL, labelValue } from "./labels.js";
import type { Job, PodSpec } from "./objects.js";

// What every validation Job has in common (README "The validation Jobs", ADR 12): its deterministic
// name, labels, owner, no retries, a deadline, and a day's TTL once finished.

/** Finished Jobs stay this long for `kubectl logs` and `kmm-preflight status`; the verdict lives in the PFVO's status. */
export const JOB_TTL_SECONDS = 86_400;

export const jobLabels = (preflight: string, module: string, stage: string, specHash: string): Record<string, string> => ({
  [MANAGED_BY_LABEL]: MANAGED_BY,
  [MODULE_NAME_LABEL]: labelValue(module),
  [JOB_TYPE_LABEL]: stage,
  [PREFLIGHT_LABEL]: labelValue(preflight),
  [SPEC_HASH_LABEL]: specHash,
});

/**
 * The Job's owner: deleting the PreflightValidationOCP deletes its Jobs (the garbage collector). No
 * `blockOwnerDeletion`: where OwnerReferencesPermissionEnforcement runs (OpenShift) it needs update on
 * the owner's finalizers, which the runner has no other use for, and nothing waits on it (ADR 18).
 */
export const ownerReferenceTo = (preflight: { readonly name: string; readonly uid: string }) => ({
  apiVersion: PREFLIGHT_API_VERSION,
  kind: PREFLIGHT_KIND,
  name: preflight.name,
  uid: preflight.uid,
  controller: true,
});

export interface JobIdentityParams {
  readonly preflight: { readonly name: string; readonly uid: string };
  readonly namespace: string;
  readonly module: string;
  readonly stage: VerificationStage;
  readonly specHash: string;
  /** The Job pushes an image (build and sign stages with pushBuiltImage): part of its name. */
  readonly push?: boolean;
  /** activeDeadlineSeconds. */
  readonly deadlineSeconds: number;
}

/**
 * A validation Job around `podSpec`: the Pod carries the Job's labels (and `annotations`), never
 * restarts, and gets neither an API token nor the Service environment (it needs no API access).
 */
export function validationJob(id: JobIdentityParams, annotations: Record<string, string> | undefined, podSpec: Omit<PodSpec, "restartPolicy" | "automountServiceAccountToken" | "enableServiceLinks">): Job {
  const labels = jobLabels(id.preflight.name, id.module, id.stage, id.specHash);
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: jobName({ preflightUid: id.preflight.uid, namespace: id.namespace, module: id.module, stage: id.stage, specHash: id.specHash, push: id.push }),
      namespace: id.namespace,
      labels,
      ownerReferences: [ownerReferenceTo(id.preflight)],
    },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: id.deadlineSeconds,
      ttlSecondsAfterFinished: JOB_TTL_SECONDS,
      template: { metadata: { labels, ...(annotations && { annotations }) }, spec: { restartPolicy: "Never", automountServiceAccountToken: false, enableServiceLinks: false, ...podSpec } },
    },
  };
}

import { createHash } from "node:crypto";

// The labels on every Job (and its Pods) the runner creates: a contract other tools select on
// (README "The validation Jobs"; ADR 12). Upstream KMM's keys where it has them.

export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY = "kmm-preflight";
/** The Module validated (upstream KMM's key). */
export const MODULE_NAME_LABEL = "kmm.node.kubernetes.io/module.name";
/** image, build or sign (upstream KMM's key). */
export const JOB_TYPE_LABEL = "kmm.node.kubernetes.io/job-type";
/** The PreflightValidationOCP the Job validates for. */
export const PREFLIGHT_LABEL = "preflight.kmm.sigs.x-k8s.io/name";
/** The hash of the Module's spec the Job checks (spec-hash.ts). */
export const SPEC_HASH_LABEL = "preflight.kmm.sigs.x-k8s.io/spec-hash";

/** What the runner's caches select: only this product's Jobs and Pods. */
export const MANAGED_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY}`;

const LABEL_VALUE_MAX = 63;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/**
 * `value` when it is a valid label value, else a valid one derived from it (cut, with a hash of the
 * whole so that two long names do not collide). Object names can be 253 characters; labels 63.
 */
export function labelValue(value: string): string {
  if (value.length <= LABEL_VALUE_MAX && LABEL_VALUE.test(value)) return value;
  const hash = createHash("sha256").update(value).digest("hex").slice(0, 10);
  const head = value.replace(/[^A-Za-z0-9_.-]/g, "-").slice(0, LABEL_VALUE_MAX - hash.length - 1).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
  return head ? `${head}-${hash}` : hash;
}

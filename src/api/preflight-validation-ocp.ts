import type { ObjectMeta } from "./meta.js";

export const GROUP = "kmm.sigs.x-k8s.io";
export const PREFLIGHT_VERSION = "v1beta2";
export const PREFLIGHT_KIND = "PreflightValidationOCP";
export const PREFLIGHT_PLURAL = "preflightvalidationsocp";
export const PREFLIGHT_SINGULAR = "preflightvalidationocp";
export const PREFLIGHT_SHORT_NAMES = ["pfvo"] as const;
export const PREFLIGHT_API_VERSION = `${GROUP}/${PREFLIGHT_VERSION}`;

/** Stages in the order a Module goes through them (seed: "Preflight validation stages per Module"). */
export const VERIFICATION_STAGES = ["image", "build", "sign"] as const;
export type VerificationStage = (typeof VERIFICATION_STAGES)[number];

/** true: verified; false: verification failed; error: the verification itself broke; unknown: not started. */
export const VERIFICATION_STATUSES = ["true", "false", "error", "unknown"] as const;
export type VerificationStatus = (typeof VERIFICATION_STATUSES)[number];

export interface PreflightValidationOCPSpec {
  /** The OpenShift release image the cluster is upgraded to; its kernel is the one validated. Immutable. */
  releaseImage: string;
  /** Push images produced by the build and sign stages to their repositories. @default false */
  pushBuiltImage?: boolean;
  /** Validate against the release's real-time kernel instead of the standard one. Immutable. @default false */
  useRTKernel?: boolean;
}

export interface PreflightModuleStatus {
  /** Namespace of the Module; with `name`, the key of this list entry. */
  namespace: string;
  name: string;
  /** RFC 3339 time the verification stage or status last changed (not merely when the entry was rewritten). */
  lastTransitionTime: string;
  statusReason?: string;
  verificationStage: VerificationStage;
  verificationStatus: VerificationStatus;
  /**
   * Hash of the parts of the Module's spec this verdict was reached for (the runner's bookkeeping, ADR 11):
   * a Module whose hash changes starts again from the image stage; one verified for its hash never runs again.
   */
  specHash?: string;
  /** RFC 3339 time the current stage last finished (ran a Job, or was decided without one). */
  lastCheckTime?: string;
  /** Checks in a row that ended in `error`; the retry backoff grows with it and resets when the Module changes. */
  consecutiveErrors?: number;
}

/** metav1.Condition: what `kubectl wait --for=condition=<type>` reads. */
export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  /** The metadata.generation the condition was computed for. */
  observedGeneration?: number;
  lastTransitionTime: string;
  /** CamelCase, machine-readable. */
  reason: string;
  message: string;
}

/** Condition types of a PreflightValidationOCP (ADR 11). */
export const CONDITION_COMPLETE = "Complete";
export const CONDITION_VERIFIED = "Verified";

/** Counts of `status.modules` by outcome, for `kubectl get pfvo` and alerts. */
export interface PreflightSummary {
  /** Entries with verificationStatus "true". */
  verified: number;
  /** "false": the Module will not load on the upgraded kernel as it stands. */
  failed: number;
  /** "error": could not be checked (retried with backoff). */
  errors: number;
  /** "unknown": not checked yet, or being checked. */
  pending: number;
}

export interface PreflightValidationOCPStatus {
  modules?: PreflightModuleStatus[];
  /** Complete and Verified (ADR 11); conditions of other types written by others are kept. */
  conditions?: Condition[];
  /** The metadata.generation the status was last computed for. */
  observedGeneration?: number;
  /** The kernel of the release (and flavour) being validated, once the release image has been read. */
  kernelVersion?: string;
  summary?: PreflightSummary;
}

export interface PreflightValidationOCP {
  apiVersion: typeof PREFLIGHT_API_VERSION;
  kind: typeof PREFLIGHT_KIND;
  metadata: ObjectMeta;
  spec: PreflightValidationOCPSpec;
  status?: PreflightValidationOCPStatus;
}

/** The spec fields this API defines; anything else under spec is rejected by validation. */
export const PREFLIGHT_SPEC_FIELDS = ["releaseImage", "pushBuiltImage", "useRTKernel"] as const;

/**
 * Longest accepted `spec.releaseImage`. A valid reference is at most 455 characters: a 255-character
 * name (the distribution spec's limit, registry host included), a 128-character tag and a
 * 71-character sha256 digest with their separators.
 */
export const MAX_RELEASE_IMAGE_LENGTH = 512;

/**
 * Most `status.modules` entries. Clusters run a handful of Modules, but the runner is measured at 5,000
 * (bench/runner-sweep.ts); it keeps the object under STATUS_BUDGET_BYTES by shortening the reasons of
 * large lists (ADR 12), since etcd refuses a request over 1.5 MiB.
 */
export const MAX_STATUS_MODULES = 5000;

/** The serialized status.modules the runner writes stays under this: etcd refuses requests over 1.5 MiB. */
export const STATUS_BUDGET_BYTES = 1400 * 1024;

/** Longest `status.kernelVersion` (the CRD's maxLength): a release naming a longer kernel fails its lookup. */
export const MAX_KERNEL_VERSION_LENGTH = 256;

/** Longest `status.modules[].statusReason`; the controller truncates longer explanations. */
export const MAX_STATUS_REASON_LENGTH = 1024;

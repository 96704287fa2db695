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
  /** RFC 3339 time the verification status last changed (not merely when the entry was rewritten). */
  lastTransitionTime: string;
  statusReason?: string;
  verificationStage: VerificationStage;
  verificationStatus: VerificationStatus;
}

export interface PreflightValidationOCPStatus {
  modules?: PreflightModuleStatus[];
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
 * Most `status.modules` entries. Clusters run a handful of Modules; the cap keeps the worst-case
 * object (every entry at its maximum size) well under etcd's 1.5 MiB request limit.
 */
export const MAX_STATUS_MODULES = 512;

/** Longest `status.modules[].statusReason`; the controller truncates longer explanations. */
export const MAX_STATUS_REASON_LENGTH = 1024;

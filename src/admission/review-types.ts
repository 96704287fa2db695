import type { GroupVersionKind } from "../api/index.js";
import type { StatusCause } from "../validation/field-error.js";

// admission.k8s.io/v1 AdmissionReview, the parts a webhook reads and writes.

export const ADMISSION_API_VERSION = "admission.k8s.io/v1";
export const OPERATIONS = ["CREATE", "UPDATE", "DELETE", "CONNECT"] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface AdmissionRequest {
  readonly uid: string;
  /** The kind of `object`, after any conversion the API server did for this webhook (matchPolicy: Equivalent). */
  readonly kind: GroupVersionKind;
  readonly resource?: { group: string; version: string; resource: string };
  readonly subResource?: string;
  readonly name?: string;
  readonly namespace?: string;
  readonly operation: Operation;
  readonly userInfo?: { username?: string; uid?: string; groups?: string[] };
  readonly object?: unknown;
  readonly oldObject?: unknown;
  readonly dryRun?: boolean;
}

export interface AdmissionStatus {
  code: number;
  message: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[] };
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: AdmissionStatus;
  patchType?: "JSONPatch";
  /** base64 of a JSON Patch (RFC 6902) document. */
  patch?: string;
  warnings?: string[];
}

export interface AdmissionReview {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: "AdmissionReview";
  request?: AdmissionRequest;
  response?: AdmissionResponse;
}

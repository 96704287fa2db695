import { randomUUID } from "node:crypto";
import type { AdmissionRequest, AdmissionReview } from "../../src/admission/review-types.js";
import { PREFLIGHT_API_VERSION, type PreflightValidationOCP } from "../../src/api/index.js";

export const RELEASE_DIGEST = "quay.io/openshift-release-dev/ocp-release@sha256:22e149142517dfccb47be828f012659b1ccf71d26620e6f62468c264a7ce7863";

export function preflight(name: string, spec: Record<string, unknown> = { releaseImage: RELEASE_DIGEST }): PreflightValidationOCP {
  return { apiVersion: PREFLIGHT_API_VERSION, kind: "PreflightValidationOCP", metadata: { name }, spec } as unknown as PreflightValidationOCP;
}

/** An AdmissionReview as the API server sends it for a PreflightValidationOCP. */
export function reviewOf(over: Partial<AdmissionRequest> & { object?: unknown }): AdmissionReview {
  const object = over.object as PreflightValidationOCP | undefined;
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: randomUUID(),
      kind: { group: "kmm.sigs.x-k8s.io", version: "v1beta2", kind: "PreflightValidationOCP" },
      resource: { group: "kmm.sigs.x-k8s.io", version: "v1beta2", resource: "preflightvalidationsocp" },
      name: object?.metadata?.name,
      operation: "CREATE",
      userInfo: { username: "kubernetes-admin", groups: ["system:masters"] },
      dryRun: false,
      ...over,
    },
  };
}

export const decodePatch = (b64: string): { op: string; path: string; value?: unknown }[] => JSON.parse(Buffer.from(b64, "base64").toString("utf8"));

import { MAX_STATUS_MODULES, MAX_STATUS_REASON_LENGTH } from "../../src/api/index.js";
import { preflightReview } from "../admission/review-body.js";

// The largest AdmissionReview the webhook accepts: an UPDATE of a PreflightValidationOCP whose status
// lists the most Modules the CRD allows with the longest reasons, object and oldObject both, filled up
// to the body limit with managedFields (the one part of an object the API server does not cap).

const RELEASE = "quay.io/openshift-release-dev/ocp-release@sha256:22e149142517dfccb47be828f012659b1ccf71d26620e6f62468c264a7ce7863";

/** `statusModules` entries of a PreflightValidationOCP's status.modules, with `reasonLength`-character reasons. */
export function statusModules(count: number, reasonLength: number): Record<string, string>[] {
  return Array.from({ length: count }, (_, i) => ({
    namespace: `team-${i % 50}`,
    name: `driver-${i}`,
    lastTransitionTime: "2026-11-25T03:00:00Z",
    verificationStage: "image",
    verificationStatus: i % 10 === 0 ? "false" : "true",
    statusReason: `registry.example.com/kmm/driver-${i}:5.14.0-427.26.1.el9_4.x86_64 holds /opt/lib/modules/5.14.0-427.26.1.el9_4.x86_64/extra/driver_${i}.ko `.padEnd(reasonLength, "x").slice(0, reasonLength),
  }));
}

export function preflight(name: string, modules: Record<string, string>[]): Record<string, unknown> {
  return {
    apiVersion: "kmm.sigs.x-k8s.io/v1beta2",
    kind: "PreflightValidationOCP",
    metadata: { name, uid: `uid-${name}`, resourceVersion: "1", generation: 1, creationTimestamp: "2026-11-25T03:00:00Z" },
    spec: { releaseImage: RELEASE, pushBuiltImage: false, useRTKernel: false },
    status: { modules },
  };
}

/** A JSON AdmissionReview body of `bytes` bytes at most (and within 8 KiB of it). */
export function maximumReviewBody(bytes: number): string {
  const object = preflight("preflight-max", statusModules(MAX_STATUS_MODULES, MAX_STATUS_REASON_LENGTH));
  const review = (o: Record<string, unknown>) => JSON.stringify(preflightReview({ name: "preflight-max", operation: "UPDATE", object: o, oldObject: o }));
  const bare = review(object).length;
  const entry = (i: number, fill: number) => ({ manager: `manager-${i}`, operation: "Update", apiVersion: "kmm.sigs.x-k8s.io/v1beta2", fieldsType: "FieldsV1", fieldsV1: { [`f:x-${i}`]: "x".repeat(fill) } });
  // object and oldObject each carry the filler: half the room each, in 64 KiB entries.
  const room = Math.floor((bytes - bare - 4096) / 2);
  const count = Math.ceil(room / 65_536);
  const managedFields = Array.from({ length: count }, (_, i) => entry(i, Math.max(0, Math.floor(room / count) - 200)));
  const body = review({ ...object, metadata: { ...(object["metadata"] as object), managedFields } });
  if (body.length > bytes) throw new Error(`review body ${body.length} B is over ${bytes} B`);
  return body;
}

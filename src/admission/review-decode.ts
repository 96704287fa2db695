import { ADMISSION_API_VERSION, OPERATIONS, type AdmissionRequest } from "./review-types.js";
import { isObject } from "../util/is-object.js";

/**
 * Fields the handlers read besides uid, operation and kind, with their types; null decodes as absent,
 * as in the API server's Go types. A subResource of another type would be truthy and skip validation.
 */
const OPTIONAL_FIELDS = [["subResource", "string"], ["name", "string"], ["namespace", "string"], ["dryRun", "boolean"]] as const;

export type Decoded = { ok: true; request: AdmissionRequest } | { ok: false; uid: string; message: string };

/** Checks that a parsed body is an admission.k8s.io/v1 AdmissionReview carrying a request we can answer. */
export function decodeAdmissionReview(body: unknown): Decoded {
  if (!isObject(body)) return { ok: false, uid: "", message: "request body must be a JSON object holding an AdmissionReview" };
  const req = body["request"];
  const uid = isObject(req) && typeof req["uid"] === "string" ? req["uid"] : "";
  const fail = (message: string): Decoded => ({ ok: false, uid, message });
  if (body["kind"] !== "AdmissionReview") return fail(`expected kind "AdmissionReview", got ${JSON.stringify(body["kind"] ?? null)}`);
  if (body["apiVersion"] !== ADMISSION_API_VERSION) {
    return fail(`expected apiVersion "${ADMISSION_API_VERSION}", got ${JSON.stringify(body["apiVersion"] ?? null)}; set admissionReviewVersions: ["v1"] in the webhook configuration`);
  }
  if (req === undefined || req === null) return fail("AdmissionReview has no request");
  if (!isObject(req)) return fail(`request must be an object holding the admission request, got ${Array.isArray(req) ? "a list" : typeof req}`);
  if (uid === "") return fail("request.uid must be a non-empty string");
  if (!OPERATIONS.includes(req["operation"] as never)) return fail(`request.operation must be one of ${OPERATIONS.join(", ")}`);
  const kind = req["kind"];
  if (!isObject(kind) || typeof kind["kind"] !== "string" || typeof kind["version"] !== "string" || typeof kind["group"] !== "string") {
    return fail("request.kind must hold group, version and kind");
  }
  for (const [field, type] of OPTIONAL_FIELDS) {
    const v = req[field];
    if (v !== undefined && v !== null && typeof v !== type) return fail(`request.${field} must be a ${type} when set, got ${typeof v === "object" ? (Array.isArray(v) ? "a list" : "an object") : JSON.stringify(v)}`);
  }
  return { ok: true, request: req as unknown as AdmissionRequest };
}

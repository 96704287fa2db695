import fastJsonPatch from "fast-json-patch";
import type { GroupVersionKind, ObjectMeta } from "../api/index.js";
import { allowed, errored, patched, toValidationResponse } from "./review-respond.js";
import type { AdmissionRequest, AdmissionResponse } from "./review-types.js";
import type { Defaulter, Validator } from "./webhook.js";

export type Decision = "allowed" | "denied" | "patched" | "skipped" | "errored";

/** A response plus what the log and metrics say about it. */
export interface Outcome {
  readonly response: AdmissionResponse;
  readonly decision: Decision;
  /** Why a request was skipped or errored. */
  readonly reason?: string;
}

const sameGvk = (a: GroupVersionKind, b: GroupVersionKind) => a.group === b.group && a.version === b.version && a.kind === b.kind;
const gvkText = (g: GroupVersionKind) => `${g.group ? `${g.group}/` : ""}${g.version}, Kind=${g.kind}`;

type SkipCheck = (r: AdmissionRequest, target: GroupVersionKind) => string | undefined;

// Ordered; the first reason wins. Anything skipped is allowed unchanged.
const commonSkips: SkipCheck[] = [
  (r, t) => (sameGvk(r.kind, t) ? undefined : `${gvkText(r.kind)} is not handled by this webhook (it serves ${gvkText(t)})`),
  (r) => (r.subResource ? `the ${r.subResource} subresource is written by controllers, not validated` : undefined),
  (r) => (r.operation === "CONNECT" ? "CONNECT has no object" : undefined),
];
const mutationSkips: SkipCheck[] = [...commonSkips, (r) => (r.operation === "DELETE" ? "DELETE is never defaulted" : undefined)];

const skipReason = (checks: SkipCheck[], r: AdmissionRequest, t: GroupVersionKind) => checks.map((c) => c(r, t)).find(Boolean);

const skipped = (r: AdmissionRequest, reason: string): Outcome => ({ response: allowed(r.uid), decision: "skipped", reason });

function guarded(r: AdmissionRequest, run: () => Outcome): Outcome {
  try {
    return run();
  } catch (err) {
    return { response: errored(r.uid, 500, err), decision: "errored", reason: err instanceof Error ? err.message : String(err) };
  }
}

const missingObject = (r: AdmissionRequest, which: "object" | "oldObject"): Outcome => ({
  response: errored(r.uid, 400, `request.${which} is required for ${r.operation}`),
  decision: "errored",
  reason: `no ${which}`,
});

/** Defaults the request's object and answers with a JSON patch holding only what changed. */
export function handleMutation<T extends object>(r: AdmissionRequest, target: GroupVersionKind, defaulter: Defaulter<T>): Outcome {
  const skip = skipReason(mutationSkips, r, target);
  if (skip) return skipped(r, skip);
  if (typeof r.object !== "object" || r.object === null) return missingObject(r, "object");
  const obj = r.object as T;
  return guarded(r, () => {
    const ops = fastJsonPatch.compare(obj, defaulter(obj));
    return { response: patched(r.uid, ops), decision: ops.length ? "patched" : "allowed" };
  });
}

/**
 * The name a denial is reported under: the first non-empty string of the object's name, the request's
 * and the object's generateName. Only a string: the API server decodes the answer's details.name as
 * one, and any other type (the request is untrusted) would make the whole answer undecodable.
 */
function objectName(r: AdmissionRequest): string {
  const meta = ((r.object ?? r.oldObject) as { metadata?: Partial<Record<keyof ObjectMeta, unknown>> } | undefined)?.metadata;
  const names: unknown[] = [meta?.name, r.name, meta?.generateName];
  return names.find((n): n is string => typeof n === "string" && n !== "") ?? "";
}

export function handleValidation<T extends object>(r: AdmissionRequest, target: GroupVersionKind, validator: Validator<T>): Outcome {
  const skip = skipReason(commonSkips, r, target);
  if (skip) return skipped(r, skip);
  const needs = r.operation === "DELETE" ? (["oldObject"] as const) : r.operation === "UPDATE" ? (["object", "oldObject"] as const) : (["object"] as const);
  for (const which of needs) if (typeof r[which] !== "object" || r[which] === null) return missingObject(r, which);
  return guarded(r, () => {
    const verdict =
      r.operation === "CREATE"
        ? validator.validateCreate(r.object as T)
        : r.operation === "UPDATE"
          ? validator.validateUpdate(r.oldObject as T, r.object as T)
          : validator.validateDelete(r.oldObject as T);
    return { response: toValidationResponse(r.uid, target, objectName(r), verdict), decision: verdict.errors.length ? "denied" : "allowed" };
  });
}

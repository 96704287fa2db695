import type { GroupVersionKind } from "../api/index.js";
import { type FieldError, formatInvalid, toStatusCauses } from "../validation/field-error.js";
import type { AdmissionResponse } from "./review-types.js";
import type { Verdict } from "./webhook.js";

// Building response envelopes: pure, tested without a server.

const withWarnings = (r: AdmissionResponse, warnings: readonly string[]): AdmissionResponse =>
  warnings.length ? { ...r, warnings: [...warnings] } : r;

export const allowed = (uid: string, warnings: readonly string[] = []): AdmissionResponse => withWarnings({ uid, allowed: true }, warnings);

/**
 * Errors a denial lists; beyond them it says how many more. One mistake copied across a long list
 * (a bad regexp in 5000 kernel mappings) otherwise makes megabytes of answer that no one reads.
 */
export const MAX_DENIAL_ERRORS = 100;

/** Denial the way the API server itself reports invalid objects (422 Invalid with causes), so kubectl prints it alike. */
export function denied(uid: string, gvk: GroupVersionKind, name: string, errors: readonly FieldError[], warnings: readonly string[] = []): AdmissionResponse {
  const qualifiedKind = `${gvk.kind}.${gvk.group}`;
  const listed = errors.slice(0, MAX_DENIAL_ERRORS);
  const more = errors.length - listed.length;
  return withWarnings(
    {
      uid,
      allowed: false,
      status: {
        code: 422,
        reason: "Invalid",
        message: `${formatInvalid(qualifiedKind, name, listed)}${more ? ` and ${more} more errors not listed` : ""}`,
        details: { name, group: gvk.group, kind: gvk.kind, causes: toStatusCauses(listed) },
      },
    },
    warnings,
  );
}

export const toValidationResponse = (uid: string, gvk: GroupVersionKind, name: string, v: Verdict): AdmissionResponse =>
  v.errors.length ? denied(uid, gvk, name, v.errors, v.warnings) : allowed(uid, v.warnings);

/** 400: the request could not be understood; 500: our bug. Either way the uid is echoed. */
export const errored = (uid: string, code: 400 | 500, err: unknown): AdmissionResponse => ({
  uid,
  allowed: false,
  status: { code, reason: code === 400 ? "BadRequest" : "InternalError", message: err instanceof Error ? err.message : String(err) },
});

export const patched = (uid: string, ops: readonly unknown[]): AdmissionResponse =>
  ops.length === 0 ? allowed(uid) : { uid, allowed: true, patchType: "JSONPatch", patch: Buffer.from(JSON.stringify(ops)).toString("base64") };

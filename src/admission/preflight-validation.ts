import { isDeepStrictEqual } from "node:util";
import { MAX_RELEASE_IMAGE_LENGTH, PREFLIGHT_SPEC_FIELDS, type ObjectMeta, type PreflightValidationOCP } from "../api/index.js";
import { parseImageReference } from "../registry/image-reference.js";
import { isDns1123Subdomain, isDns1123SubdomainPrefix } from "../validation/dns-name.js";
import { FieldPath } from "../validation/field-path.js";
import { type FieldError, forbidden, invalid, required, tooLong } from "../validation/field-error.js";
import { closestName } from "../validation/suggest.js";
import { isObject } from "../util/is-object.js";

// Validation of PreflightValidationOCP in the style of Kubernetes' validation packages: one function
// per field path, each taking (value, path) and returning every error it finds. The input is whatever
// the request carried, so nothing here trusts the TypeScript types.


export function validateObjectMeta(meta: unknown, p: FieldPath): FieldError[] {
  if (!isObject(meta)) return [required(p)];
  const { name, generateName } = meta as ObjectMeta;
  const errs: FieldError[] = [];
  // The API server decodes a null name or generateName as "", so null counts as absent.
  if (generateName !== undefined && generateName !== null && generateName !== "") {
    if (typeof generateName !== "string") errs.push(invalid(p.child("generateName"), generateName, "must be a string"));
    else errs.push(...isDns1123SubdomainPrefix(generateName).map((m) => invalid(p.child("generateName"), generateName, m)));
  }
  if (name === undefined || name === null || name === "") {
    if (!generateName) errs.push(required(p.child("name"), "name or generateName is required"));
  } else if (typeof name !== "string") {
    errs.push(invalid(p.child("name"), name, "must be a string"));
  } else {
    errs.push(...isDns1123Subdomain(name).map((m) => invalid(p.child("name"), name, m)));
  }
  return errs;
}

export function validateReleaseImage(v: unknown, p: FieldPath): FieldError[] {
  if (v === undefined || v === null || (typeof v === "string" && v.trim() === "")) {
    return [required(p, "the OpenShift release image the cluster will be upgraded to, e.g. quay.io/openshift-release-dev/ocp-release@sha256:<digest>")];
  }
  if (typeof v !== "string") return [invalid(p, v, "must be a string holding an image reference")];
  if (v.length > MAX_RELEASE_IMAGE_LENGTH) return [tooLong(p, MAX_RELEASE_IMAGE_LENGTH)];
  const parsed = parseImageReference(v);
  return parsed.ok ? [] : parsed.errors.map((m) => invalid(p, v, m));
}

export function validateBoolean(v: unknown, p: FieldPath): FieldError[] {
  if (v === undefined || v === null || typeof v === "boolean") return [];
  const hint = v === "true" || v === "false" ? ` (write ${v} without quotes)` : "";
  return [invalid(p, v, `must be a boolean, true or false${hint}`)];
}

export function validateKnownFields(obj: Record<string, unknown>, known: readonly string[], p: FieldPath): FieldError[] {
  return Object.keys(obj)
    .filter((k) => !known.includes(k))
    .map((k) => {
      const guess = closestName(k, known);
      return forbidden(p.child(k), `unknown field${guess ? `; did you mean "${guess}"?` : ""} supported fields: ${known.join(", ")}`);
    });
}

export function validatePreflightSpec(spec: unknown, p: FieldPath): FieldError[] {
  if (spec === undefined || spec === null) return [required(p, "spec.releaseImage names the release to validate against")];
  if (!isObject(spec)) return [invalid(p, spec, "must be an object")];
  return [
    ...validateReleaseImage(spec["releaseImage"], p.child("releaseImage")),
    ...validateBoolean(spec["pushBuiltImage"], p.child("pushBuiltImage")),
    ...validateBoolean(spec["useRTKernel"], p.child("useRTKernel")),
    ...validateKnownFields(spec, PREFLIGHT_SPEC_FIELDS, p),
  ];
}

export function validatePreflight(o: PreflightValidationOCP): FieldError[] {
  return [...validateObjectMeta(o.metadata, FieldPath.root("metadata")), ...validatePreflightSpec(o.spec, FieldPath.root("spec"))];
}

/** The release (and kernel flavour) a PreflightValidationOCP validates against never changes: another kernel means another resource. */
export function validateImmutable(newValue: unknown, oldValue: unknown, p: FieldPath): FieldError[] {
  if (newValue === oldValue) return [];
  return [invalid(p, newValue, "field is immutable; to validate against another release or kernel, create a new PreflightValidationOCP (and delete this one when it is done)")];
}

/** The value at a rendered field path such as `spec.releaseImage` (PreflightValidationOCP paths hold no list indexes). */
const valueAt = (obj: unknown, field: string): unknown =>
  field.split(".").reduce<unknown>((v, k) => (isObject(v) ? v[k] : undefined), obj);

/**
 * Errors the old object already had are not held against an update (validation ratcheting, as the API
 * server does for CRDs), so a rule added in a later version never blocks metadata or status edits.
 * An error is ratcheted only when the value at its path is unchanged, not merely of the same kind.
 */
export function validatePreflightUpdate(o: PreflightValidationOCP, old: PreflightValidationOCP): FieldError[] {
  const oldErrs = validatePreflight(old);
  const ratcheted = (e: FieldError) =>
    oldErrs.some((oe) => oe.type === e.type && oe.field === e.field) && isDeepStrictEqual(valueAt(o, e.field), valueAt(old, e.field));
  const newErrs = validatePreflight(o).filter((e) => !ratcheted(e));
  const spec: Record<string, unknown> = isObject(o.spec) ? o.spec : {};
  const oldSpec: Record<string, unknown> = isObject(old.spec) ? old.spec : {};
  return [
    ...newErrs,
    ...validateImmutable(spec["releaseImage"], oldSpec["releaseImage"], FieldPath.root("spec", "releaseImage")),
    // Absent and false mean the same kernel: objects stored before defaulting existed must not trip this.
    ...validateImmutable(spec["useRTKernel"] ?? false, oldSpec["useRTKernel"] ?? false, FieldPath.root("spec", "useRTKernel")),
  ];
}

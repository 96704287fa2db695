import { MAX_RELEASE_IMAGE_LENGTH, PREFLIGHT_SPEC_FIELDS, parseImageReference, type PreflightValidationOCP } from "../api/index.js";
import { isObject } from "../util/is-object.js";
import { type FieldError, invalid, required, tooLong } from "../validation/field-error.js";
import { FieldPath } from "../validation/field-path.js";
import { validateBoolean, validateImmutable, validateKnownFields } from "../validation/field-validators.js";
import { validateObjectMeta } from "../validation/object-meta.js";
import { validateRatcheted } from "../validation/ratcheting.js";

// Validation of PreflightValidationOCP in the style of Kubernetes' validation packages: one function
// per field path, each taking (value, path) and returning every error it finds. The input is whatever
// the request carried, so nothing here trusts the TypeScript types. The rules any kind shares
// (metadata, booleans, unknown fields, immutability, ratcheting) live in src/validation.

export function validateReleaseImage(v: unknown, p: FieldPath): FieldError[] {
  if (v === undefined || v === null || (typeof v === "string" && v.trim() === "")) {
    return [required(p, "the OpenShift release image the cluster will be upgraded to, e.g. quay.io/openshift-release-dev/ocp-release@sha256:<digest>")];
  }
  if (typeof v !== "string") return [invalid(p, v, "must be a string holding an image reference")];
  if (v.length > MAX_RELEASE_IMAGE_LENGTH) return [tooLong(p, MAX_RELEASE_IMAGE_LENGTH)];
  const parsed = parseImageReference(v);
  return parsed.ok ? [] : parsed.errors.map((m) => invalid(p, v, m));
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

/** Another release or kernel flavour means another resource: what a changed immutable field should do instead. */
const IMMUTABLE_HINT = "to validate against another release or kernel, create a new PreflightValidationOCP (and delete this one when it is done)";

/**
 * Validation of an update: the new object, without the errors the old one already had where the
 * value is unchanged (ratcheting, ADR 4), and the release and kernel flavour never change.
 */
export function validatePreflightUpdate(o: PreflightValidationOCP, old: PreflightValidationOCP): FieldError[] {
  const spec: Record<string, unknown> = isObject(o.spec) ? o.spec : {};
  const oldSpec: Record<string, unknown> = isObject(old.spec) ? old.spec : {};
  return [
    ...validateRatcheted(o, old, validatePreflight),
    ...validateImmutable(spec["releaseImage"], oldSpec["releaseImage"], FieldPath.root("spec", "releaseImage"), IMMUTABLE_HINT),
    // Absent and false mean the same kernel: objects stored before defaulting existed must not trip this.
    ...validateImmutable(spec["useRTKernel"] ?? false, oldSpec["useRTKernel"] ?? false, FieldPath.root("spec", "useRTKernel"), IMMUTABLE_HINT),
  ];
}

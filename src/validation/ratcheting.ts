import { jsonEqual } from "../util/json-equal.js";
import type { FieldError } from "./field-error.js";
import { valueAt } from "./field-path.js";

/**
 * `validate(obj)` for an update from `old`, without the errors the old object already had (validation
 * ratcheting, as the API server does for CRDs), so a rule added in a later version never blocks
 * metadata or status edits of objects stored before it. An error is ratcheted only when `old` had an
 * error of the same type at the same path and the value at that path is unchanged, found by walking
 * the path's segments: a changed list item (`kernelMappings[2].regexp`) is held against the update.
 */
export function validateRatcheted<T>(obj: T, old: T, validate: (o: T) => readonly FieldError[]): FieldError[] {
  const errs = validate(obj);
  const oldErrs = errs.length ? validate(old) : [];
  const ratcheted = (e: FieldError) =>
    oldErrs.some((oe) => oe.type === e.type && oe.field === e.field) && jsonEqual(valueAt(obj, e.path), valueAt(old, e.path));
  return errs.filter((e) => !ratcheted(e));
}

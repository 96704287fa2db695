import { isObject } from "../util/is-object.js";
import { type FieldError, invalid, notSupported } from "./field-error.js";
import type { FieldPath } from "./field-path.js";
import { isQualifiedName, isValidLabelValue } from "./label.js";

// Pod tolerations as the API server validates them (k8s.io/kubernetes pkg/apis/core/validation,
// ValidateTolerations), for objects that carry tolerations into the pods they create (KMM Modules).
// One difference: a bad value is reported at `value`, where the API server says `operator`.

export const TOLERATION_OPERATORS = ["Equal", "Exists"] as const;
export const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"] as const;

/** A string field that may be absent; anything else is reported and read as absent. */
function optionalString(obj: Record<string, unknown>, name: string, p: FieldPath, errs: FieldError[]): string {
  const v = obj[name];
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v;
  errs.push(invalid(p.child(name), v, "must be a string"));
  return "";
}

export function validateToleration(t: unknown, p: FieldPath): FieldError[] {
  if (!isObject(t)) return [invalid(p, t, "must be an object with key, operator, value, effect and tolerationSeconds")];
  const errs: FieldError[] = [];
  const key = optionalString(t, "key", p, errs);
  const operator = optionalString(t, "operator", p, errs);
  const value = optionalString(t, "value", p, errs);
  const effect = optionalString(t, "effect", p, errs);
  const seconds = t["tolerationSeconds"];

  if (key !== "") errs.push(...isQualifiedName(key).map((m) => invalid(p.child("key"), key, m)));
  if (key === "" && operator !== "Exists") {
    errs.push(invalid(p.child("operator"), operator, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
  }
  if (seconds !== undefined && seconds !== null) {
    if (typeof seconds !== "number" || !Number.isSafeInteger(seconds)) errs.push(invalid(p.child("tolerationSeconds"), seconds, "must be a whole number of seconds"));
    if (effect !== "NoExecute") errs.push(invalid(p.child("effect"), effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
  }
  if (operator === "" || operator === "Equal") errs.push(...isValidLabelValue(value).map((m) => invalid(p.child("value"), value, m)));
  else if (operator === "Exists") {
    if (value !== "") errs.push(invalid(p.child("value"), value, "value must be empty when `operator` is 'Exists'"));
  } else errs.push(notSupported(p.child("operator"), operator, TOLERATION_OPERATORS));
  // Empty matches every effect.
  if (effect !== "" && !(TAINT_EFFECTS as readonly string[]).includes(effect)) errs.push(notSupported(p.child("effect"), effect, TAINT_EFFECTS));
  return errs;
}

export function validateTolerations(list: unknown, p: FieldPath): FieldError[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) return [invalid(p, list, "must be a list of tolerations")];
  return list.flatMap((t, i) => validateToleration(t, p.index(i)));
}

import { jsonEqual } from "../util/json-equal.js";
import { isObject } from "../util/is-object.js";
import { type FieldError, forbidden, invalid, required } from "./field-error.js";
import type { FieldPath } from "./field-path.js";
import { closestName } from "./suggest.js";

// Field validators any kind's validation composes (PreflightValidationOCP today, Module next): each
// takes (value, path) and returns every error it finds, trusting nothing about the value's type.

export function validateBoolean(v: unknown, p: FieldPath): FieldError[] {
  if (v === undefined || v === null || typeof v === "boolean") return [];
  const hint = v === "true" || v === "false" ? ` (write ${v} without quotes)` : "";
  return [invalid(p, v, `must be a boolean, true or false${hint}`)];
}

/** Each field of `obj` not in `known` is Forbidden at its own path, with the known name a typo most likely meant. */
export function validateKnownFields(obj: Record<string, unknown>, known: readonly string[], p: FieldPath): FieldError[] {
  return Object.keys(obj)
    .filter((k) => !known.includes(k))
    .map((k) => {
      const guess = closestName(k, known);
      return forbidden(p.child(k), `unknown field${guess ? `; did you mean "${guess}"?` : ""} supported fields: ${known.join(", ")}`);
    });
}

/**
 * Invalid (with the new value) when an update changed the value, compared deeply as
 * apimachinery's ValidateImmutableField does. `hint` says what to do instead, after "field is immutable; ".
 */
export function validateImmutable(newValue: unknown, oldValue: unknown, p: FieldPath, hint?: string): FieldError[] {
  if (jsonEqual(newValue, oldValue)) return [];
  return [invalid(p, newValue, hint ? `field is immutable; ${hint}` : "field is immutable")];
}

/** Absent, or a string. */
export function validateString(v: unknown, p: FieldPath): FieldError[] {
  return v === undefined || v === null || typeof v === "string" ? [] : [invalid(p, v, "must be a string")];
}

/** Absent, or a list of strings; each item that is not one is reported at its index. */
export function validateStringList(v: unknown, p: FieldPath): FieldError[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return [invalid(p, v, "must be a list of strings")];
  return v.flatMap((item, i) => (typeof item === "string" ? [] : [invalid(p.index(i), item, "must be a string")]));
}

/**
 * A core/v1 LocalObjectReference: an object whose `name` names something in the same namespace.
 * With `needed`, absent or an empty name is Required (the object is of no use without it).
 */
export function validateLocalObjectReference(v: unknown, p: FieldPath, needed: string | undefined): FieldError[] {
  if (v === undefined || v === null) return needed === undefined ? [] : [required(p, needed)];
  if (!isObject(v)) return [invalid(p, v, "must be an object with a name")];
  const name = v["name"];
  if (name === undefined || name === null || name === "") return needed === undefined ? [] : [required(p.child("name"), needed)];
  return typeof name === "string" ? [] : [invalid(p.child("name"), name, "must be a string")];
}

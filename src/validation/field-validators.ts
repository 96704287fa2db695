import { isDeepStrictEqual } from "node:util";
import { type FieldError, forbidden, invalid } from "./field-error.js";
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
  if (isDeepStrictEqual(newValue, oldValue)) return [];
  return [invalid(p, newValue, hint ? `field is immutable; ${hint}` : "field is immutable")];
}

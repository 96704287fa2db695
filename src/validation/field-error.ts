import type { FieldPath } from "./field-path.js";

// A closed set of error kinds, as in k8s.io/apimachinery/pkg/util/validation/field.
export type FieldErrorType = "Required" | "Invalid" | "NotSupported" | "Forbidden" | "Duplicate" | "TooLong" | "Internal";

export interface FieldError {
  readonly type: FieldErrorType;
  /** Where the error is, segment by segment: what finds the value again (ratcheting). */
  readonly path: FieldPath;
  /** `path` rendered from the object root, e.g. `spec.releaseImage`: what messages and StatusCause show. */
  readonly field: string;
  /** Omitted when it would leak (secrets) or swamp the message (TooLong). */
  readonly badValue?: unknown;
  readonly detail: string;
}

const NO_VALUE = Symbol("no value");

function make(type: FieldErrorType, path: FieldPath, badValue: unknown, detail: string): FieldError {
  return badValue === NO_VALUE ? { type, path, field: `${path}`, detail } : { type, path, field: `${path}`, badValue, detail };
}

export const required = (p: FieldPath, detail = ""): FieldError => make("Required", p, NO_VALUE, detail);
export const invalid = (p: FieldPath, value: unknown, detail: string): FieldError => make("Invalid", p, value, detail);
export const forbidden = (p: FieldPath, detail: string): FieldError => make("Forbidden", p, NO_VALUE, detail);
export const duplicate = (p: FieldPath, value: unknown): FieldError => make("Duplicate", p, value, "");
export const tooLong = (p: FieldPath, max: number): FieldError => make("TooLong", p, NO_VALUE, `may not be more than ${max} characters`);
export const internalError = (p: FieldPath, err: unknown): FieldError =>
  make("Internal", p, NO_VALUE, err instanceof Error ? err.message : String(err));
export const notSupported = (p: FieldPath, value: unknown, allowed: readonly string[]): FieldError =>
  make("NotSupported", p, value, `supported values: ${allowed.map((a) => JSON.stringify(a)).join(", ")}`);

/** The words Kubernetes prints for each type (field.ErrorType.String()). */
const TYPE_TEXT: Record<FieldErrorType, string> = {
  Required: "Required value",
  Invalid: "Invalid value",
  NotSupported: "Unsupported value",
  Forbidden: "Forbidden",
  Duplicate: "Duplicate value",
  TooLong: "Too long",
  Internal: "Internal error",
};

/** metav1.CauseType for each error type, so kubectl and clients can read `status.details.causes`. */
const CAUSE_REASON: Record<FieldErrorType, string> = {
  Required: "FieldValueRequired",
  Invalid: "FieldValueInvalid",
  NotSupported: "FieldValueNotSupported",
  Forbidden: "FieldValueForbidden",
  Duplicate: "FieldValueDuplicate",
  TooLong: "FieldValueTooLong",
  Internal: "InternalError",
};

/** Values come from the request: rendered short, and never allowed to throw (cycles, absurd nesting). */
const MAX_RENDERED_VALUE = 256;
function renderValue(v: unknown): string {
  let text: string;
  try {
    text = v === null || (typeof v !== "object" && typeof v !== "string") ? String(v) : (JSON.stringify(v) ?? String(v));
  } catch {
    text = Array.isArray(v) ? "[…]" : "{…}";
  }
  return text.length > MAX_RENDERED_VALUE ? `${text.slice(0, MAX_RENDERED_VALUE)}…` : text;
}

/** `<path>: <Type>[: <value>][: <detail>]`, the way the API server prints a field.Error. */
export function formatFieldError(e: FieldError): string {
  const parts = [`${e.field}: ${TYPE_TEXT[e.type]}`];
  if ("badValue" in e) parts.push(renderValue(e.badValue));
  if (e.detail) parts.push(e.detail);
  return parts.join(": ");
}

/** Message part only (no path), as in metav1.StatusCause.message. */
function causeMessage(e: FieldError): string {
  return formatFieldError(e).slice(e.field.length + 2);
}

export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

export const toStatusCauses = (errs: readonly FieldError[]): StatusCause[] =>
  errs.map((e) => ({ reason: CAUSE_REASON[e.type], message: causeMessage(e), field: e.field }));

/** `<Kind>.<group> "<name>" is invalid: ...`, the text of apierrors.NewInvalid. */
export function formatInvalid(qualifiedKind: string, name: string, errs: readonly FieldError[]): string {
  const list = errs.map(formatFieldError);
  const body = list.length === 1 ? list[0] : `[${list.join(", ")}]`;
  return `${qualifiedKind} ${JSON.stringify(name)} is invalid: ${body}`;
}

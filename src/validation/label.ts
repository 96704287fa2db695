import { isObject } from "../util/is-object.js";
import { isDns1123Subdomain } from "./dns-name.js";
import { type FieldError, invalid } from "./field-error.js";
import type { FieldPath } from "./field-path.js";

// Label keys and values, as apimachinery's IsQualifiedName and IsValidLabelValue: bare messages; callers
// attach the field path.

export const QUALIFIED_NAME_MAX_LENGTH = 63;
export const LABEL_VALUE_MAX_LENGTH = 63;
const QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const QUALIFIED_NAME_RE = new RegExp(`^${QUALIFIED_NAME_FMT}$`);
const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;
const LABEL_VALUE_RE = new RegExp(`^${LABEL_VALUE_FMT}$`);
const NAME_CHARS =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/** A label key, annotation key or toleration key: `[prefix/]name`, the prefix a DNS subdomain. */
export function isQualifiedName(value: string): string[] {
  const parts = value.split("/");
  if (parts.length > 2) {
    return [`a qualified name ${NAME_CHARS} (regex used for validation is '${QUALIFIED_NAME_FMT}') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  const [prefix, name] = parts.length === 2 ? [parts[0]!, parts[1]!] : [undefined, parts[0]!];
  const msgs: string[] = [];
  if (prefix !== undefined) {
    if (prefix === "") msgs.push("prefix part must be non-empty");
    else msgs.push(...isDns1123Subdomain(prefix).map((m) => `prefix part ${m}`));
  }
  if (name === "") msgs.push("name part must be non-empty");
  else {
    if (name.length > QUALIFIED_NAME_MAX_LENGTH) msgs.push(`name part must be no more than ${QUALIFIED_NAME_MAX_LENGTH} characters`);
    if (!QUALIFIED_NAME_RE.test(name)) msgs.push(`name part ${NAME_CHARS} (e.g. 'MyName', or 'my.name', or '123-abc', regex used for validation is '${QUALIFIED_NAME_FMT}')`);
  }
  return msgs;
}

/** A label value (or a toleration value): empty, or at most 63 characters of the qualified-name alphabet. */
export function isValidLabelValue(value: string): string[] {
  const msgs: string[] = [];
  if (value.length > LABEL_VALUE_MAX_LENGTH) msgs.push(`must be no more than ${LABEL_VALUE_MAX_LENGTH} characters`);
  if (!LABEL_VALUE_RE.test(value)) msgs.push(`a valid label must be an empty string or ${NAME_CHARS.replace("must consist", "consist")} (e.g. 'MyValue', or 'my_value', or '12345', regex used for validation is '${LABEL_VALUE_FMT}')`);
  return msgs;
}

/**
 * A map of label keys to label values (labels, or a node selector, as apimachinery's ValidateLabels):
 * each bad key or value reported at its own key. Absent is fine; callers say when it is required.
 */
export function validateLabelMap(v: unknown, p: FieldPath): FieldError[] {
  if (v === undefined || v === null) return [];
  if (!isObject(v)) return [invalid(p, v, "must be a map of label keys to label values")];
  return Object.entries(v).flatMap(([key, value]) => [
    ...isQualifiedName(key).map((m) => invalid(p.key(key), key, m)),
    ...(typeof value === "string" ? isValidLabelValue(value).map((m) => invalid(p.key(key), value, m)) : [invalid(p.key(key), value, "must be a string")]),
  ]);
}

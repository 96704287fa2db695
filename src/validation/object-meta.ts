import type { ObjectMeta } from "../api/index.js";
import { isObject } from "../util/is-object.js";
import { isDns1123Subdomain, isDns1123SubdomainPrefix } from "./dns-name.js";
import { type FieldError, invalid, required } from "./field-error.js";
import type { FieldPath } from "./field-path.js";

/**
 * metadata.name and metadata.generateName of any object whose names are DNS subdomains (the
 * PreflightValidationOCP, the Module). The input is whatever the request carried: nothing here
 * trusts the TypeScript types.
 */
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

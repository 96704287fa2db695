import { isObject } from "../util/is-object.js";
import { type FieldError, duplicate, forbidden, invalid, required } from "../validation/field-error.js";
import type { FieldPath } from "../validation/field-path.js";
import { validateString, validateStringList } from "../validation/field-validators.js";

// spec.moduleLoader.container.modprobe: which kernel module the loader loads, and how.

/** `args` and `rawArgs`: each list, when given, has an item (the CRD's minItems). */
function validateModprobeArgs(v: unknown, p: FieldPath): FieldError[] {
  if (v === undefined || v === null) return [];
  if (!isObject(v)) return [invalid(p, v, "must be an object with load and unload lists")];
  return (["load", "unload"] as const).flatMap((k) => {
    const list = v[k];
    if (Array.isArray(list) && list.length === 0) return [invalid(p.child(k), list, "must have at least 1 item; leave it out instead")];
    return validateStringList(list, p.child(k));
  });
}

const hasItems = (v: unknown): boolean => Array.isArray(v) && v.length > 0;

/** moduleName, or rawArgs with both load and unload: one of the two, never both (upstream's rule). */
function validateModuleNameOrRawArgs(modprobe: Record<string, unknown>, p: FieldPath): FieldError[] {
  const name = modprobe["moduleName"];
  const raw = isObject(modprobe["rawArgs"]) ? modprobe["rawArgs"] : undefined;
  if (typeof name === "string" && name !== "") {
    return raw && (hasItems(raw["load"]) || hasItems(raw["unload"]))
      ? [forbidden(p.child("rawArgs"), "may not be set when moduleName is set: rawArgs replaces the whole modprobe command line; use args to add arguments")]
      : [];
  }
  if (!raw) return [required(p.child("moduleName"), "set moduleName, or rawArgs with both load and unload")];
  // An empty list is reported by validateModprobeArgs already.
  return (["load", "unload"] as const)
    .filter((k) => raw[k] === undefined || raw[k] === null)
    .map((k) => required(p.child("rawArgs", k), "rawArgs needs both load and unload when moduleName is not set"));
}

/** A module name as modprobe takes it: no directory, no file suffix, no blanks. */
function validateModuleName(v: unknown, p: FieldPath): FieldError[] {
  if (typeof v !== "string" || v === "") return validateString(v, p);
  if (/[\s/]/.test(v) || /\.ko(\.(xz|gz|zst))?$/.test(v)) return [invalid(p, v, "must be a kernel module name as modprobe takes it (e.g. my_driver), not a path or a file name")];
  return [];
}

function validateDirName(v: unknown, p: FieldPath): FieldError[] {
  if (typeof v !== "string" || v === "") return validateString(v, p);
  return v.startsWith("/") ? [] : [invalid(p, v, "must be an absolute path in the image, e.g. /opt")];
}

/** At least two modules, moduleName first, each once (upstream's rules); present but empty counts. */
function validateModulesLoadingOrder(v: unknown, moduleName: unknown, p: FieldPath): FieldError[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return [invalid(p, v, "must be a list of module names")];
  const errs = validateStringList(v, p);
  if (v.length < 2) errs.push(invalid(p, v, "must list at least two modules, moduleName first and then those it depends on, or be left out"));
  if (typeof moduleName !== "string" || moduleName === "") errs.push(forbidden(p, "may only be set together with moduleName"));
  else if (v.length > 0 && v[0] !== moduleName) errs.push(invalid(p.index(0), v[0], `must be moduleName (${moduleName}): the list starts with the module loaded last`));
  const seen = new Set<unknown>();
  v.forEach((m, i) => {
    if (seen.has(m)) errs.push(duplicate(p.index(i), m));
    seen.add(m);
  });
  return errs;
}

export function validateModprobe(v: unknown, p: FieldPath): FieldError[] {
  if (v === undefined || v === null) return [required(p, "modprobe says which kernel module to load: set moduleName")];
  if (!isObject(v)) return [invalid(p, v, "must be an object")];
  return [
    ...validateModuleName(v["moduleName"], p.child("moduleName")),
    ...validateModuleNameOrRawArgs(v, p),
    ...validateDirName(v["dirName"], p.child("dirName")),
    ...validateStringList(v["parameters"], p.child("parameters")),
    ...validateString(v["firmwarePath"], p.child("firmwarePath")),
    ...validateModprobeArgs(v["args"], p.child("args")),
    ...validateModprobeArgs(v["rawArgs"], p.child("rawArgs")),
    ...validateModulesLoadingOrder(v["modulesLoadingOrder"], v["moduleName"], p.child("modulesLoadingOrder")),
  ];
}

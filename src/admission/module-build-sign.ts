import { posix } from "node:path";
import { DEFAULT_MODULE_DIR } from "../api/index.js";
import { substituteVariables } from "../kernel/substitute.js";
import { isObject } from "../util/is-object.js";
import { type FieldError, invalid, required } from "../validation/field-error.js";
import type { FieldPath } from "../validation/field-path.js";
import { validateBoolean, validateLocalObjectReference, validateString, validateStringList } from "../validation/field-validators.js";
import { validateLabelMap } from "../validation/label.js";
import { KERNEL_ONLY_VARIABLES, validateImageTemplate } from "./module-images.js";

// The build and sign sections of a Module, at the container level or in a kernel mapping. Each
// section is checked on its own, as upstream does; how the two levels combine is checked where both
// are known (module-validation.ts).

export function validateTLSOptions(v: unknown, p: FieldPath): FieldError[] {
  if (v === undefined || v === null) return [];
  if (!isObject(v)) return [invalid(p, v, "must be an object with insecure and insecureSkipTLSVerify")];
  return [...validateBoolean(v["insecure"], p.child("insecure")), ...validateBoolean(v["insecureSkipTLSVerify"], p.child("insecureSkipTLSVerify"))];
}

function validateBuildArg(v: unknown, p: FieldPath): FieldError[] {
  if (!isObject(v)) return [invalid(p, v, "must be an object with name and value")];
  const { name, value } = v;
  return [
    ...(name === undefined || name === null || name === "" ? [required(p.child("name"))] : validateString(name, p.child("name"))),
    ...(value === undefined || value === null ? [required(p.child("value"), 'may be empty ("") but not left out')] : validateString(value, p.child("value"))),
  ];
}

export function validateBuild(v: unknown, p: FieldPath): FieldError[] {
  if (v === undefined || v === null) return [];
  if (!isObject(v)) return [invalid(p, v, "must be an object")];
  const args = v["buildArgs"];
  const secrets = v["secrets"];
  const kaniko = v["kanikoParams"];
  return [
    ...validateLocalObjectReference(v["dockerfileConfigMap"], p.child("dockerfileConfigMap"), "the ConfigMap holding the Dockerfile (under the key dockerfile)"),
    ...(args === undefined || args === null ? [] : Array.isArray(args) ? args.flatMap((a, i) => validateBuildArg(a, p.child("buildArgs").index(i))) : [invalid(p.child("buildArgs"), args, "must be a list of name/value pairs")]),
    ...(secrets === undefined || secrets === null ? [] : Array.isArray(secrets) ? secrets.flatMap((s, i) => validateLocalObjectReference(s, p.child("secrets").index(i), "a Secret in the Module's namespace")) : [invalid(p.child("secrets"), secrets, "must be a list of Secret references")]),
    ...validateTLSOptions(v["baseImageRegistryTLS"], p.child("baseImageRegistryTLS")),
    ...(kaniko === undefined || kaniko === null ? [] : isObject(kaniko) ? validateString(kaniko["tag"], p.child("kanikoParams", "tag")) : [invalid(p.child("kanikoParams"), kaniko, "must be an object")]),
    ...validateLabelMap(v["selector"], p.child("selector")),
  ];
}

/** `file` (normalised, so `..` cannot climb out) lies strictly below the directory `dir`: not merely a string prefix of it. */
export function isUnderDirectory(file: string, dir: string): boolean {
  const d = posix.normalize(dir).replace(/\/+$/, "");
  const f = posix.normalize(file);
  return f.startsWith(`${d}/`) && f.length > d.length + 1;
}

function validateFileToSign(v: unknown, dirName: string, p: FieldPath): FieldError[] {
  if (typeof v !== "string" || v === "") return [invalid(p, v, "must be a path in the image")];
  const substituted = substituteVariables(v, KERNEL_ONLY_VARIABLES);
  if (!substituted.ok) return [invalid(p, v, substituted.error)];
  return isUnderDirectory(substituted.value, dirName) ? [] : [invalid(p, v, `must be a path below modprobe.dirName ${dirName}/, where the image keeps its modules`)];
}

/** `dirName` is modprobe's, defaulted; files to sign must lie below it (upstream's rule, on normalised paths). */
export function validateSign(v: unknown, dirName: string, p: FieldPath): FieldError[] {
  if (v === undefined || v === null) return [];
  if (!isObject(v)) return [invalid(p, v, "must be an object")];
  const files = v["filesToSign"];
  const unsigned = v["unsignedImage"];
  return [
    ...(unsigned === undefined || unsigned === null || unsigned === "" ? [] : validateImageTemplate(unsigned, KERNEL_ONLY_VARIABLES, p.child("unsignedImage"))),
    ...validateTLSOptions(v["unsignedImageRegistryTLS"], p.child("unsignedImageRegistryTLS")),
    ...validateLocalObjectReference(v["keySecret"], p.child("keySecret"), "the Secret holding the private signing key"),
    ...validateLocalObjectReference(v["certSecret"], p.child("certSecret"), "the Secret holding the public signing certificate"),
    ...(Array.isArray(files) && files.length > 0
      ? files.flatMap((f, i) => validateFileToSign(f, dirName || DEFAULT_MODULE_DIR, p.child("filesToSign").index(i)))
      : Array.isArray(files) || files === undefined || files === null
        ? [required(p.child("filesToSign"), `the modules to sign, as paths below modprobe.dirName (${dirName || DEFAULT_MODULE_DIR}/)`)]
        : validateStringList(files, p.child("filesToSign"))),
  ];
}

import { isObject } from "../util/is-object.js";
import { type FieldError, invalid } from "../validation/field-error.js";
import type { FieldPath } from "../validation/field-path.js";
import { validateLocalObjectReference, validateString, validateStringList } from "../validation/field-validators.js";

// The types of the fields resolveModuleTarget, the build/sign merges and the Job builders read.
// KMM's CRD checks them, but the Module CRD is KMM's, not ours: an old or schemaless one lets any
// shape through (and KMM itself could not decode such a Module). Only types: policy is admission's.

type Obj = Record<string, unknown>;

/** Absent, or a list whose items each pass `item`. */
function validateList(v: unknown, p: FieldPath, what: string, item: (v: unknown, p: FieldPath) => FieldError[]): FieldError[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return [invalid(p, v, `must be a list of ${what}`)];
  return v.flatMap((x, i) => item(x, p.index(i)));
}

/** Absent, or an object whose fields pass `fields`. */
function validateObject(v: unknown, p: FieldPath, fields: (o: Obj) => FieldError[] = () => []): FieldError[] {
  if (v === undefined || v === null) return [];
  return isObject(v) ? fields(v) : [invalid(p, v, "must be an object")];
}

const ref = (v: unknown, p: FieldPath) => validateLocalObjectReference(v, p, undefined);

const buildArg = (v: unknown, p: FieldPath) =>
  isObject(v) ? [...validateString(v["name"], p.child("name")), ...validateString(v["value"], p.child("value"))] : [invalid(p, v, "must be an object with name and value")];

const build = (v: unknown, p: FieldPath) =>
  validateObject(v, p, (b) => [
    ...ref(b["dockerfileConfigMap"], p.child("dockerfileConfigMap")),
    ...validateList(b["buildArgs"], p.child("buildArgs"), "name/value pairs", buildArg),
    ...validateList(b["secrets"], p.child("secrets"), "Secret references", ref),
    ...validateObject(b["baseImageRegistryTLS"], p.child("baseImageRegistryTLS")),
  ]);

const sign = (v: unknown, p: FieldPath) =>
  validateObject(v, p, (s) => [
    ...validateString(s["unsignedImage"], p.child("unsignedImage")),
    ...validateObject(s["unsignedImageRegistryTLS"], p.child("unsignedImageRegistryTLS")),
    ...ref(s["keySecret"], p.child("keySecret")),
    ...ref(s["certSecret"], p.child("certSecret")),
    ...validateStringList(s["filesToSign"], p.child("filesToSign")),
  ]);

/** What the container level and a kernel mapping share. */
const level = (o: Obj, p: FieldPath) => [
  ...validateString(o["containerImage"], p.child("containerImage")),
  ...build(o["build"], p.child("build")),
  ...sign(o["sign"], p.child("sign")),
  ...validateObject(o["registryTLS"], p.child("registryTLS")),
];

/** Every field of the container, the selected mapping and the pull secret that has a type resolving cannot use. */
export function moduleShapeErrors(spec: Obj, container: Obj, mapping: Obj, at: { spec: FieldPath; container: FieldPath; mapping: FieldPath }): FieldError[] {
  const modprobe = at.container.child("modprobe");
  return [
    ...ref(spec["imageRepoSecret"], at.spec.child("imageRepoSecret")),
    ...level(container, at.container),
    ...validateObject(container["modprobe"], modprobe, (m) => [...validateString(m["moduleName"], modprobe.child("moduleName")), ...validateString(m["dirName"], modprobe.child("dirName"))]),
    ...level(mapping, at.mapping),
  ];
}

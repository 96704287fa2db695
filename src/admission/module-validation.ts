import { DEFAULT_MODULE_DIR, MAX_MODULE_NAME_AND_NAMESPACE_LENGTH, type Module } from "../api/index.js";
import { validateKernelRegexp } from "../kernel/kernel-mapping.js";
import { isObject } from "../util/is-object.js";
import { type FieldError, forbidden, invalid, required } from "../validation/field-error.js";
import { FieldPath } from "../validation/field-path.js";
import { validateLocalObjectReference, validateString, validateStringList } from "../validation/field-validators.js";
import { validateLabelMap } from "../validation/label.js";
import { validateObjectMeta } from "../validation/object-meta.js";
import { validateRatcheted } from "../validation/ratcheting.js";
import { validateTolerations } from "../validation/toleration.js";
import { validateBuild, validateSign, validateTLSOptions } from "./module-build-sign.js";
import { validateDevicePlugin, validateDra } from "./module-daemons.js";
import { type Variables, containerImageVariables, validateImageTemplate, validatePullPolicy } from "./module-images.js";
import { validateModprobe } from "./module-modprobe.js";

// Module policy: every rule upstream KMM's Module webhook and CRD enforce (HEAD), and stricter ones
// where upstream admits a Module that cannot work (docs/adr/0016). In the style of Kubernetes'
// validation packages: one function per field path, each taking (value, path) and returning every
// error it finds; the input is whatever the request carried, so nothing trusts the TypeScript types.

const CONTAINER_PATH = FieldPath.root("spec", "moduleLoader", "container");

type Obj = Record<string, unknown>;

/** What a kernel mapping's checks need from the container level around it. */
interface ContainerContext {
  readonly container: Obj;
  readonly imageVariables: Variables;
  /** modprobe.dirName, defaulted. */
  readonly dirName: string;
}

/** KMM derives names of at most 63 characters from name and namespace together (upstream HEAD). */
export function validateModuleNameLength(meta: unknown, p: FieldPath): FieldError[] {
  if (!isObject(meta)) return [];
  const { name, generateName, namespace } = meta;
  // A generated name gets five more characters.
  const effective = typeof name === "string" && name ? name : typeof generateName === "string" && generateName ? `${generateName}xxxxx` : "";
  const ns = typeof namespace === "string" ? namespace : "";
  const length = effective.length + ns.length;
  if (length <= MAX_MODULE_NAME_AND_NAMESPACE_LENGTH) return [];
  const at = typeof name === "string" && name ? p.child("name") : p.child("generateName");
  return [
    invalid(at, effective === name ? name : generateName, `name and namespace together are ${length} characters, at most ${MAX_MODULE_NAME_AND_NAMESPACE_LENGTH}: KMM derives names and labels of its objects from both`),
  ];
}

const isSetList = (v: unknown) => v !== undefined && v !== null;
const isSetString = (v: unknown) => v !== undefined && v !== null && v !== "";

/**
 * inTreeModulesToRemove and the deprecated inTreeModuleToRemove are never both set (an empty list
 * counts as set, an empty string does not): on one level, or one on the container and the other on a
 * mapping. `container` is undefined when checking the container level itself.
 */
function validateInTreeModules(o: Obj, p: FieldPath, container: Obj | undefined): FieldError[] {
  const errs = [...validateStringList(o["inTreeModulesToRemove"], p.child("inTreeModulesToRemove")), ...validateString(o["inTreeModuleToRemove"], p.child("inTreeModuleToRemove"))];
  const [list, single] = [isSetList(o["inTreeModulesToRemove"]), isSetString(o["inTreeModuleToRemove"])];
  if (list && single) errs.push(forbidden(p.child("inTreeModuleToRemove"), "may not be set together with inTreeModulesToRemove: list the module there"));
  if (container) {
    if (list && !single && isSetString(container["inTreeModuleToRemove"])) {
      errs.push(forbidden(p.child("inTreeModulesToRemove"), `may not be set while ${CONTAINER_PATH.child("inTreeModuleToRemove")} is set: use inTreeModulesToRemove on both levels`));
    }
    if (single && !list && isSetList(container["inTreeModulesToRemove"])) {
      errs.push(forbidden(p.child("inTreeModuleToRemove"), `may not be set while ${CONTAINER_PATH.child("inTreeModulesToRemove")} is set: use inTreeModulesToRemove here too`));
    }
  }
  return errs;
}

/** Exactly one of literal and regexp, which compiles as RE2. */
function validateKernelMatch(km: Obj, p: FieldPath): FieldError[] {
  const { literal, regexp } = km;
  const errs = [...validateString(literal, p.child("literal")), ...validateString(regexp, p.child("regexp"))];
  const [hasLiteral, hasRegexp] = [typeof literal === "string" && literal !== "", typeof regexp === "string" && regexp !== ""];
  if (hasLiteral && hasRegexp) errs.push(forbidden(p.child("literal"), "may not be set when regexp is set: a mapping matches by one or the other"));
  if (!hasLiteral && !hasRegexp) errs.push(required(p, "one of literal (the exact kernel) or regexp (RE2) is required"));
  if (hasRegexp) errs.push(...validateKernelRegexp(regexp as string, p.child("regexp")));
  return errs;
}

/** The mapping's image, or the container's when it is "": the key itself is required by the CRD. */
function validateMappingImage(km: Obj, p: FieldPath, ctx: ContainerContext): FieldError[] {
  const image = km["containerImage"];
  if (image === undefined || image === null) {
    return [required(p, `the key is required: an image, or "" to use ${CONTAINER_PATH.child("containerImage")}`)];
  }
  if (image !== "") return validateImageTemplate(image, ctx.imageVariables, p);
  const fallback = ctx.container["containerImage"];
  return typeof fallback === "string" && fallback !== "" ? [] : [required(p, `set an image here or on ${CONTAINER_PATH.child("containerImage")}`)];
}

/**
 * A sign section with no build applying to the same mapping signs `unsignedImage`, which must then be
 * set (upstream's documentation says so; its webhook does not check).
 */
function validateSignInput(km: Obj, p: FieldPath, container: Obj): FieldError[] {
  const [mapSign, contSign] = [km["sign"], container["sign"]];
  if (!isObject(mapSign) && !isObject(contSign)) return [];
  if (isObject(km["build"]) || isObject(container["build"])) return [];
  const unsigned = (isObject(mapSign) && mapSign["unsignedImage"]) || (isObject(contSign) && contSign["unsignedImage"]);
  if (unsigned) return [];
  const at = (isObject(mapSign) ? p.child("sign") : CONTAINER_PATH.child("sign")).child("unsignedImage");
  return [required(at, `the image to sign, since no build applies to ${p}`)];
}

function validateKernelMapping(km: unknown, p: FieldPath, ctx: ContainerContext): FieldError[] {
  if (!isObject(km)) return [invalid(p, km, "must be an object with literal or regexp, and containerImage")];
  return [
    ...validateKernelMatch(km, p),
    ...validateMappingImage(km, p.child("containerImage"), ctx),
    ...validateBuild(km["build"], p.child("build")),
    ...validateSign(km["sign"], ctx.dirName, p.child("sign")),
    ...validateSignInput(km, p, ctx.container),
    ...validateTLSOptions(km["registryTLS"], p.child("registryTLS")),
    ...validateInTreeModules(km, p, ctx.container),
  ];
}

function validateKernelMappings(v: unknown, p: FieldPath, ctx: ContainerContext): FieldError[] {
  if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) {
    return [required(p, "at least one mapping from kernels (literal or regexp) to an image")];
  }
  if (!Array.isArray(v)) return [invalid(p, v, "must be a list of kernel mappings")];
  const errs = v.flatMap((km, i) => validateKernelMapping(km, p.index(i), ctx));
  // One container-level sign section can lack its input for many mappings: say it once.
  return errs.filter((e, i) => errs.findIndex((o) => o.type === e.type && o.field === e.field) === i);
}

function dirNameOf(container: Obj): string {
  const modprobe = container["modprobe"];
  const dir = isObject(modprobe) ? modprobe["dirName"] : undefined;
  return typeof dir === "string" && dir !== "" ? dir : DEFAULT_MODULE_DIR;
}

export function validateModuleLoaderContainer(v: unknown, p: FieldPath, imageVariables: Variables): FieldError[] {
  if (v === undefined || v === null) return [required(p, "the module loader container: modprobe and kernelMappings")];
  if (!isObject(v)) return [invalid(p, v, "must be an object")];
  const image = v["containerImage"];
  const ctx: ContainerContext = { container: v, imageVariables, dirName: dirNameOf(v) };
  return [
    ...validateModprobe(v["modprobe"], p.child("modprobe")),
    ...validateKernelMappings(v["kernelMappings"], p.child("kernelMappings"), ctx),
    ...(image === undefined || image === null || image === "" ? [] : validateImageTemplate(image, imageVariables, p.child("containerImage"))),
    ...validatePullPolicy(v["imagePullPolicy"], p.child("imagePullPolicy")),
    ...validateBuild(v["build"], p.child("build")),
    ...validateSign(v["sign"], ctx.dirName, p.child("sign")),
    ...validateTLSOptions(v["registryTLS"], p.child("registryTLS")),
    ...validateString(v["version"], p.child("version")),
    ...validateInTreeModules(v, p, undefined),
  ];
}

export function validateModuleLoader(v: unknown, p: FieldPath, imageVariables: Variables): FieldError[] {
  // Optional: a Module may only run a device plugin. Nothing to validate then.
  if (v === undefined || v === null) return [];
  if (!isObject(v)) return [invalid(p, v, "must be an object")];
  return [
    ...validateModuleLoaderContainer(v["container"], p.child("container"), imageVariables),
    ...validateString(v["serviceAccountName"], p.child("serviceAccountName")),
  ];
}

export function validateModuleSpec(spec: unknown, p: FieldPath, imageVariables: Variables): FieldError[] {
  if (spec === undefined || spec === null) return [required(p, "spec.selector names the nodes the module is loaded on")];
  if (!isObject(spec)) return [invalid(p, spec, "must be an object")];
  const selector = spec["selector"];
  const generation = spec["imageRebuildTriggerGeneration"];
  return [
    ...(selector === undefined || selector === null ? [required(p.child("selector"), "the labels of the nodes to load the module on ({} for every node)")] : validateLabelMap(selector, p.child("selector"))),
    ...validateLocalObjectReference(spec["imageRepoSecret"], p.child("imageRepoSecret"), undefined),
    ...validateTolerations(spec["tolerations"], p.child("tolerations")),
    ...validateModuleLoader(spec["moduleLoader"], p.child("moduleLoader"), imageVariables),
    ...validateDevicePlugin(spec["devicePlugin"], p.child("devicePlugin")),
    ...validateDra(spec["dra"], spec["devicePlugin"], p.child("dra")),
    ...(generation === undefined || generation === null || Number.isSafeInteger(generation) ? [] : [invalid(p.child("imageRebuildTriggerGeneration"), generation, "must be a whole number")]),
  ];
}

export function validateModule(o: Module): FieldError[] {
  const meta: unknown = o?.metadata;
  return [
    ...validateObjectMeta(meta, FieldPath.root("metadata")),
    ...validateModuleNameLength(meta, FieldPath.root("metadata")),
    ...validateModuleSpec(o?.spec, FieldPath.root("spec"), containerImageVariables(meta)),
  ];
}

const versionOf = (o: Module): unknown => {
  const loader: unknown = o?.spec?.moduleLoader;
  const container = isObject(loader) ? loader["container"] : undefined;
  return isObject(container) ? container["version"] : undefined;
};

/**
 * `version` may change from one version to another (an ordered upgrade), not from empty to set or
 * back (upstream: KMM would lose track of the loaded module). Only when both have a moduleLoader.
 */
export function validateVersionTransition(o: Module, old: Module): FieldError[] {
  if (!isObject(o?.spec?.moduleLoader) || !isObject(old?.spec?.moduleLoader)) return [];
  const [now, before] = [versionOf(o), versionOf(old)];
  if (isSetString(now) === isSetString(before)) return [];
  return [forbidden(CONTAINER_PATH.child("version"), `may not change from ${isSetString(before) ? "set to empty" : "empty to set"}; delete the Module and create it again`)];
}

/**
 * Validation of an update: the new object without the errors the old one already had where the value
 * is unchanged (ratcheting, ADR 4), and the version rule, which is never ratcheted.
 */
export function validateModuleUpdate(o: Module, old: Module): FieldError[] {
  return [...validateRatcheted(o, old, validateModule), ...validateVersionTransition(o, old)];
}

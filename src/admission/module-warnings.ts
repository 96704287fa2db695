import type { Module } from "../api/index.js";
import { isObject } from "../util/is-object.js";
import { FieldPath } from "../validation/field-path.js";

// Legal but deprecated: admitted, with a warning kubectl prints to the person applying the Module.
// Kept short: the API server may cut warnings over 256 characters.

const CONTAINER_PATH = FieldPath.root("spec", "moduleLoader", "container");

function deprecatedInTreeModule(o: unknown, p: FieldPath): string[] {
  const single = isObject(o) ? o["inTreeModuleToRemove"] : undefined;
  if (typeof single !== "string" || single === "") return [];
  return [`${p.child("inTreeModuleToRemove")} is deprecated: write inTreeModulesToRemove: [${JSON.stringify(single)}]`];
}

export function moduleWarnings(o: Module): string[] {
  const loader: unknown = o?.spec?.moduleLoader;
  const container = isObject(loader) ? loader["container"] : undefined;
  if (!isObject(container)) return [];
  const mappings = container["kernelMappings"];
  return [
    ...deprecatedInTreeModule(container, CONTAINER_PATH),
    ...(Array.isArray(mappings) ? mappings.flatMap((km, i) => deprecatedInTreeModule(km, CONTAINER_PATH.child("kernelMappings").index(i))) : []),
  ];
}

import type {
  Build,
  BuildArg,
  DRASpec,
  DevicePluginSpec,
  KernelMapping,
  LocalObjectReference,
  ModprobeArgs,
  ModprobeSpec,
  Module,
  ModuleLoaderContainerSpec,
  ModuleLoaderSpec,
  ModuleSpec,
  Sign,
  TLSOptions,
  Toleration,
} from "../api/index.js";
import { isObject } from "../util/is-object.js";
import { type FieldError, forbidden } from "../validation/field-error.js";
import { FieldPath } from "../validation/field-path.js";
import { validateKnownFields } from "../validation/field-validators.js";

// Fields a Module does not have, at each level of the parts KMM defines (not inside the core/v1 types
// the device plugin embeds). The API server's strict field validation refuses them and, without it,
// its pruning drops them silently; the offline check reports them so a field written at the wrong
// level (inTreeModuleToRemove directly under moduleLoader) is named, with where it belongs. The webhook
// never sees such a field: what reaches it is a field the installed CRD knows, perhaps from a newer KMM.

/** The field names of T, checked complete by the type checker. */
const fieldsOf = <T>(fields: Record<keyof T, true>): readonly string[] => Object.keys(fields);

const TLS = fieldsOf<TLSOptions>({ insecure: true, insecureSkipTLSVerify: true });
const REFERENCE = fieldsOf<LocalObjectReference>({ name: true });
const BUILD = fieldsOf<Build>({ dockerfileConfigMap: true, buildArgs: true, secrets: true, baseImageRegistryTLS: true, kanikoParams: true, selector: true });
const BUILD_ARG = fieldsOf<BuildArg>({ name: true, value: true });
const SIGN = fieldsOf<Sign>({ unsignedImage: true, unsignedImageRegistryTLS: true, keySecret: true, certSecret: true, filesToSign: true });
const MAPPING = fieldsOf<KernelMapping>({
  literal: true,
  regexp: true,
  containerImage: true,
  build: true,
  sign: true,
  registryTLS: true,
  inTreeModuleToRemove: true,
  inTreeModulesToRemove: true,
});
const MODPROBE = fieldsOf<ModprobeSpec>({ moduleName: true, dirName: true, parameters: true, firmwarePath: true, modulesLoadingOrder: true, args: true, rawArgs: true });
const MODPROBE_ARGS = fieldsOf<ModprobeArgs>({ load: true, unload: true });
const CONTAINER = fieldsOf<ModuleLoaderContainerSpec>({
  modprobe: true,
  kernelMappings: true,
  containerImage: true,
  imagePullPolicy: true,
  build: true,
  sign: true,
  registryTLS: true,
  version: true,
  inTreeModuleToRemove: true,
  inTreeModulesToRemove: true,
});
const LOADER = fieldsOf<ModuleLoaderSpec>({ container: true, serviceAccountName: true });
const TOLERATION = fieldsOf<Toleration>({ key: true, operator: true, value: true, effect: true, tolerationSeconds: true });
const DEVICE_PLUGIN = fieldsOf<DevicePluginSpec>({ container: true, initContainer: true, serviceAccountName: true, volumes: true, automountServiceAccountToken: true });
const DRA = fieldsOf<DRASpec>({
  container: true,
  initContainer: true,
  serviceAccountName: true,
  volumes: true,
  automountServiceAccountToken: true,
  driverName: true,
  deviceClasses: true,
});
const SPEC = fieldsOf<ModuleSpec>({
  selector: true,
  imageRepoSecret: true,
  moduleLoader: true,
  devicePlugin: true,
  dra: true,
  tolerations: true,
  imageRebuildTriggerGeneration: true,
});
const ROOT = fieldsOf<Module & { status: unknown }>({ apiVersion: true, kind: true, metadata: true, spec: true, status: true });

/** A level of the object: its known fields and the levels below it, by field name. */
interface Level {
  readonly fields: readonly string[];
  readonly children?: Readonly<Record<string, { readonly level: Level; readonly list?: true }>>;
}

const tls: Level = { fields: TLS };
const reference: Level = { fields: REFERENCE };
const modprobeArgs: Level = { fields: MODPROBE_ARGS };
const build: Level = {
  fields: BUILD,
  children: { dockerfileConfigMap: { level: reference }, buildArgs: { level: { fields: BUILD_ARG }, list: true }, secrets: { level: reference, list: true }, baseImageRegistryTLS: { level: tls } },
};
const sign: Level = { fields: SIGN, children: { unsignedImageRegistryTLS: { level: tls }, keySecret: { level: reference }, certSecret: { level: reference } } };
const container: Level = {
  fields: CONTAINER,
  children: {
    modprobe: { level: { fields: MODPROBE, children: { args: { level: modprobeArgs }, rawArgs: { level: modprobeArgs } } } },
    kernelMappings: { level: { fields: MAPPING, children: { build: { level: build }, sign: { level: sign }, registryTLS: { level: tls } } }, list: true },
    build: { level: build },
    sign: { level: sign },
    registryTLS: { level: tls },
  },
};
const MODULE: Level = {
  fields: ROOT,
  children: {
    spec: {
      level: {
        fields: SPEC,
        children: {
          imageRepoSecret: { level: reference },
          moduleLoader: { level: { fields: LOADER, children: { container: { level: container } } } },
          tolerations: { level: { fields: TOLERATION }, list: true },
          devicePlugin: { level: { fields: DEVICE_PLUGIN } },
          dra: { level: { fields: DRA } },
        },
      },
    },
  },
};

/** Where each field name is known, as paths with `[*]` for any list item: what a misplaced field is told. */
function knownPlaces(level: Level, at: string, into: Map<string, string[]>): Map<string, string[]> {
  for (const f of level.fields) into.set(f, [...(into.get(f) ?? []), at]);
  for (const [name, child] of Object.entries(level.children ?? {})) knownPlaces(child.level, `${at}${at ? "." : ""}${name}${child.list ? "[*]" : ""}`, into);
  return into;
}
const PLACES = knownPlaces(MODULE, "", new Map());

function unknownAt(v: unknown, level: Level, p: FieldPath): FieldError[] {
  if (!isObject(v)) return [];
  const errs = validateKnownFields(v, level.fields, p).map((e) => {
    const last = e.path.segments.at(-1);
    const field = last?.kind === "field" ? last.name : "";
    const places = PLACES.get(field);
    return places ? forbidden(e.path, `unknown field here; ${field} belongs under ${places.map((x) => x || "the object root").join(" or ")}`) : e;
  });
  for (const [name, child] of Object.entries(level.children ?? {})) {
    const value = v[name];
    if (child.list && Array.isArray(value)) value.forEach((item, i) => errs.push(...unknownAt(item, child.level, p.child(name).index(i))));
    else if (!child.list) errs.push(...unknownAt(value, child.level, p.child(name)));
  }
  return errs;
}

/** Every field of `o` a Module does not have at that place, Forbidden at its path. */
export function unknownModuleFields(o: unknown): FieldError[] {
  return unknownAt(o, MODULE, FieldPath.root());
}

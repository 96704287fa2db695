import type { LocalObjectReference, ObjectMeta } from "./meta.js";
import { GROUP } from "./preflight-validation-ocp.js";

// KMM's own Module API (kmm.sigs.x-k8s.io/v1beta1), as far as preflight and Module policy read it
// (upstream HEAD's api/v1beta1/module_types.go). The CRD belongs to KMM; kmm-preflight only ships it
// as an optional manifest for clusters without KMM.
export const MODULE_VERSION = "v1beta1";
export const MODULE_KIND = "Module";
export const MODULE_PLURAL = "modules";
export const MODULE_API_VERSION = `${GROUP}/${MODULE_VERSION}`;

/** Upstream KMM's default for modprobe.dirName. */
export const DEFAULT_MODULE_DIR = "/opt";

/**
 * Longest `metadata.name` + `metadata.namespace` (concatenated, as upstream counts): KMM derives label
 * keys of at most 63 characters from both, e.g. `version-schedule-pod.<namespace>.<name>`.
 */
export const MAX_MODULE_NAME_AND_NAMESPACE_LENGTH = 41;

/** Where upstream KMM lets device plugin and DRA pods mount host paths (a path is one of them or below one). */
export const ALLOWED_HOST_PATH_PREFIXES = ["/dev", "/sys", "/var", "/opt", "/run"] as const;

export interface TLSOptions {
  /** Plain HTTP to the registry. */
  insecure?: boolean;
  /** HTTPS without verifying the registry's certificate. */
  insecureSkipTLSVerify?: boolean;
}

export interface BuildArg {
  name: string;
  value: string;
}

export interface Build {
  /** ConfigMap holding the Dockerfile (key `dockerfile`). Required inside a build section. */
  dockerfileConfigMap?: LocalObjectReference;
  buildArgs?: BuildArg[];
  secrets?: LocalObjectReference[];
  baseImageRegistryTLS?: TLSOptions;
  /** Kaniko image tag for the build pod. */
  kanikoParams?: { tag?: string };
  /** Node labels the build pod runs on. */
  selector?: Record<string, string>;
}

export interface Sign {
  /** Required unless a build section applies (the build's output is signed then). */
  unsignedImage?: string;
  unsignedImageRegistryTLS?: TLSOptions;
  keySecret?: LocalObjectReference;
  certSecret?: LocalObjectReference;
  /** Paths under `<dirName>/`. */
  filesToSign?: string[];
}

export interface KernelMapping {
  /** Exact, case-sensitive kernel string. Wins over `regexp` within the same mapping. */
  literal?: string;
  /** Go RE2 syntax, unanchored. */
  regexp?: string;
  /** The CRD requires the key; `""` means the container's. */
  containerImage?: string;
  build?: Build;
  sign?: Sign;
  registryTLS?: TLSOptions;
  /** @deprecated use inTreeModulesToRemove */
  inTreeModuleToRemove?: string;
  inTreeModulesToRemove?: string[];
}

export interface ModprobeArgs {
  load?: string[];
  unload?: string[];
}

export interface ModprobeSpec {
  /** Unset only when `rawArgs` gives both `load` and `unload`. */
  moduleName?: string;
  /** @default "/opt" */
  dirName?: string;
  parameters?: string[];
  firmwarePath?: string;
  modulesLoadingOrder?: string[];
  args?: ModprobeArgs;
  rawArgs?: ModprobeArgs;
}

export interface ModuleLoaderContainerSpec {
  modprobe: ModprobeSpec;
  kernelMappings: KernelMapping[];
  containerImage?: string;
  imagePullPolicy?: string;
  build?: Build;
  sign?: Sign;
  registryTLS?: TLSOptions;
  version?: string;
  /** @deprecated use inTreeModulesToRemove */
  inTreeModuleToRemove?: string;
  inTreeModulesToRemove?: string[];
}

export interface ModuleLoaderSpec {
  container: ModuleLoaderContainerSpec;
  serviceAccountName?: string;
}

/** core/v1 Toleration. */
export interface Toleration {
  key?: string;
  /** `Equal` (the default) or `Exists`. */
  operator?: string;
  value?: string;
  /** `NoSchedule`, `PreferNoSchedule` or `NoExecute`; empty matches all. */
  effect?: string;
  /** Only with effect `NoExecute`. */
  tolerationSeconds?: number;
}

/** core/v1 Volume, as far as Module policy reads it (KMM restricts hostPath). */
export interface Volume {
  name: string;
  hostPath?: { path: string; type?: string };
  [source: string]: unknown;
}

/** The container of a device plugin or DRA driver (upstream's CommonContainerSpec). */
export interface CommonContainerSpec {
  image: string;
  imagePullPolicy?: string;
  command?: string[];
  args?: string[];
  env?: unknown[];
  resources?: unknown;
  volumeMounts?: unknown[];
}

export interface DevicePluginSpec {
  container: CommonContainerSpec;
  initContainer?: CommonContainerSpec;
  serviceAccountName?: string;
  volumes?: Volume[];
  automountServiceAccountToken?: boolean;
}

/** A DeviceClass KMM manages for a DRA driver. */
export interface DeviceClassSpec {
  name: string;
  selectors?: unknown[];
  config?: unknown[];
}

export interface DRASpec {
  container: CommonContainerSpec;
  initContainer?: CommonContainerSpec;
  serviceAccountName?: string;
  volumes?: Volume[];
  automountServiceAccountToken?: boolean;
  driverName: string;
  deviceClasses?: DeviceClassSpec[];
}

export interface ModuleSpec {
  /** Node labels (KMM v1beta1 uses a plain map, not a LabelSelector). */
  selector: Record<string, string>;
  imageRepoSecret?: LocalObjectReference;
  /** A Module without a moduleLoader (device plugin only) has nothing for preflight to validate. */
  moduleLoader?: ModuleLoaderSpec;
  devicePlugin?: DevicePluginSpec;
  /** Mutually exclusive with devicePlugin. */
  dra?: DRASpec;
  tolerations?: Toleration[];
  /** Incremented to have KMM rebuild the Module's images. */
  imageRebuildTriggerGeneration?: number;
}

export interface Module {
  apiVersion: typeof MODULE_API_VERSION;
  kind: typeof MODULE_KIND;
  metadata: ObjectMeta;
  spec: ModuleSpec;
}

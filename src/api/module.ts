import type { LocalObjectReference, ObjectMeta } from "./meta.js";
import { GROUP } from "./preflight-validation-ocp.js";

// KMM's own Module API (kmm.sigs.x-k8s.io/v1beta1), as far as preflight reads it. The CRD belongs to
// KMM; kmm-preflight only ships it as an optional manifest for clusters without KMM.
export const MODULE_VERSION = "v1beta1";
export const MODULE_KIND = "Module";
export const MODULE_PLURAL = "modules";
export const MODULE_API_VERSION = `${GROUP}/${MODULE_VERSION}`;

/** Upstream KMM's default for modprobe.dirName. */
export const DEFAULT_MODULE_DIR = "/opt";

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
}

export interface Sign {
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
  containerImage?: string;
  build?: Build;
  sign?: Sign;
  registryTLS?: TLSOptions;
}

export interface ModprobeSpec {
  moduleName: string;
  /** @default "/opt" */
  dirName?: string;
  parameters?: string[];
  firmwarePath?: string;
  modulesLoadingOrder?: string[];
  args?: { load?: string[]; unload?: string[] };
  rawArgs?: { load?: string[]; unload?: string[] };
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
  inTreeModulesToRemove?: string[];
}

export interface ModuleSpec {
  /** Node labels (KMM v1beta1 uses a plain map, not a LabelSelector). */
  selector: Record<string, string>;
  imageRepoSecret?: LocalObjectReference;
  /** A Module without a moduleLoader (device plugin only) has nothing for preflight to validate. */
  moduleLoader?: { container: ModuleLoaderContainerSpec; serviceAccountName?: string };
}

export interface Module {
  apiVersion: typeof MODULE_API_VERSION;
  kind: typeof MODULE_KIND;
  metadata: ObjectMeta;
  spec: ModuleSpec;
}

import type { Module } from "../api/index.js";
import { type CheckResult, resultIdentity } from "../jobs/termination-message.js";
import { resolveModuleTarget } from "../kernel/module-target.js";
import { RegistryError, formatImageReference } from "../registry/index.js";
import { ImageCheckError } from "./errors.js";
import { isPathComponent, kernelDirProblem } from "./layer-path.js";
import { type ImageLookup, imageVerdict } from "./image-verdict.js";
import { findKernelModule } from "./module-search.js";
import { type ImageRegistry, layersOf } from "./registry-layers.js";

// The image stage for one Module and one kernel (seed: "Image validation stage"): does the image the
// Module names for that kernel exist, and does it hold the module where modprobe will look?

/** A verdict as the termination message carries it (src/jobs/termination-message.ts), for a known kernel. */
export interface ImageStageResult extends CheckResult {
  readonly kernel: string;
}

export interface ImageStageDeps {
  /**
   * The registry client of the whole check run, shared by every Module checked: its connections and its
   * auth and token caches carry over. It holds what is the same for all of them (the pull secret, CAs,
   * platform, registries reached over plain HTTP); a Module's own registryTLS is passed per request.
   * The caller closes it.
   */
  readonly registry: ImageRegistry;
}

/**
 * Never throws for a Module's problem: every Module gets a verdict, so one malformed Module cannot
 * take the results of the others with it (the CLI checks many, and the Job reports through this).
 */
export async function checkModuleImage(module: Module, kernel: string, deps: ImageStageDeps): Promise<ImageStageResult> {
  const id = resultIdentity(module, kernel);
  try {
    return await checkTarget(module, kernel, id, deps);
  } catch (err) {
    // Field types the CRD schema would have rejected (a Module read from a file), or a bug of ours.
    return { ...id, verificationStatus: "error", reason: `could not check this Module: ${err instanceof Error ? err.message : String(err)}` };
  }
}

async function checkTarget(module: Module, kernel: string, id: Pick<ImageStageResult, "namespace" | "name" | "kernel">, deps: ImageStageDeps): Promise<ImageStageResult> {
  const badKernel = kernelDirProblem(kernel);
  if (badKernel) return { ...id, verificationStatus: "error", reason: badKernel };
  const resolved = resolveModuleTarget(module, kernel);
  if (!resolved.ok) {
    if (resolved.skip) return { ...id, verificationStatus: "true", skipped: true, reason: resolved.reason };
    // A Module that cannot name an image for this kernel fails validation: the user has to change it.
    return { ...id, verificationStatus: "false", reason: resolved.reason };
  }
  const t = resolved.target;
  const at = { mappingIndex: t.mappingIndex, image: t.containerImage };
  if (!isPathComponent(t.moduleName)) {
    const why = t.moduleName === "" ? "is empty: there is no module file to look for" : `${JSON.stringify(t.moduleName)} must be a module name, not a path`;
    return { ...id, ...at, verificationStatus: "false", reason: `spec.moduleLoader.container.modprobe.moduleName ${why}` };
  }

  const query = { dirName: t.dirName, kernel, moduleName: t.moduleName };
  const request = { tls: t.registryTLS };
  let lookup: ImageLookup;
  let digest: string | undefined;
  try {
    const image = await deps.registry.getImage(t.imageReference, request);
    const search = await findKernelModule(layersOf(deps.registry, image, request), query);
    digest = image.digest;
    lookup = { image: formatImageReference(image.ref), search };
  } catch (err) {
    if (!(err instanceof RegistryError || err instanceof ImageCheckError)) throw err;
    lookup = { error: err };
  }
  const v = imageVerdict(lookup, query);
  return { ...id, ...at, ...(digest !== undefined && { digest }), ...(v.path !== undefined && { path: v.path }), verificationStatus: v.verificationStatus, reason: v.reason };
}

import type { BuildArg, Module } from "../api/module.js";
import { overrideBuildArgs } from "./build-args.js";
import type { ModuleTarget } from "./module-target.js";

// The arguments a build Job receives (the build stage of the runner). Apart from build-args.ts
// because it reads a resolved ModuleTarget, and module-target.ts depends on build-args.ts.

export interface BuildArgsOptions {
  /**
   * The driver-toolkit image of the target release, passed as `DTK_AUTO` (as KMM does for
   * Dockerfiles using `ARG DTK_AUTO`). @default not passed
   */
  readonly dtkImage?: string;
}

/**
 * The build arguments a build Job for `target` receives: the merged `buildArgs` of the Module, with
 * `KERNEL_VERSION` and `KERNEL_FULL_VERSION` (the raw kernel, which is the directory name under
 * `/lib/modules`), `MOD_NAME`, `MOD_NAMESPACE` (and `DTK_AUTO` when given) taking precedence over a
 * user argument of the same name, as in KMM: a Module cannot build for another kernel than the
 * one being validated. A user argument keeps its position with the value replaced; the system
 * arguments it does not name come last, in sorted name order.
 */
export function buildArgsFor(
  target: Pick<ModuleTarget, "kernel" | "build">,
  module: Pick<Module, "metadata">,
  options: BuildArgsOptions = {},
): BuildArg[] {
  const system: BuildArg[] = [
    { name: "KERNEL_VERSION", value: target.kernel },
    { name: "KERNEL_FULL_VERSION", value: target.kernel },
    { name: "MOD_NAME", value: module.metadata?.name ?? "" },
    { name: "MOD_NAMESPACE", value: module.metadata?.namespace ?? "" },
    ...(options.dtkImage !== undefined ? [{ name: "DTK_AUTO", value: options.dtkImage }] : []),
  ];
  return overrideBuildArgs(target.build?.buildArgs ?? [], system);
}

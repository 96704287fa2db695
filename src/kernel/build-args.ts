import type { BuildArg, Module } from "../api/module.js";
import type { ModuleTarget } from "./module-target.js";

// Build arguments: overriding by name, and the arguments a build Job receives.

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * `args` with every argument whose name is in `overrides` replaced in place by the override, then
 * the overrides no argument used, in sorted name order. When `overrides` names one argument twice,
 * the last one counts. Inputs are not modified.
 */
export function overrideBuildArgs(args: readonly BuildArg[], overrides: readonly BuildArg[]): BuildArg[] {
  const byName = new Map<string, BuildArg>();
  for (const o of overrides) byName.set(o.name, o);
  const used = new Set<string>();
  const out = args.map((a) => {
    const o = byName.get(a.name);
    if (!o) return { name: a.name, value: a.value };
    used.add(a.name);
    return { name: o.name, value: o.value };
  });
  for (const name of [...byName.keys()].filter((n) => !used.has(n)).sort(byCodeUnit)) {
    const o = byName.get(name)!;
    out.push({ name: o.name, value: o.value });
  }
  return out;
}

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

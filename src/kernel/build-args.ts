import type { BuildArg } from "../api/module.js";

// Build arguments overridden by name: how a kernel mapping's arguments combine with the container's
// (merge-build-sign.ts) and how the system arguments of a build Job win (build-job-args.ts).

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

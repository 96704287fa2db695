import type { LocalObjectReference } from "../api/meta.js";
import type { Build, Sign, TLSOptions } from "../api/module.js";
import { overrideBuildArgs } from "./build-args.js";

// How a kernel mapping's build and sign sections combine with the container-level ones (KMM's
// rules). The result always has its list fields (`buildArgs`, `secrets`, `filesToSign`), possibly
// empty, and shares no objects with the inputs.

// Copies take the fields that are used, not whatever else the object holds: a CRD that keeps unknown
// fields may hand over values nested deep enough to overflow structuredClone.

export const copyReference = (r: LocalObjectReference): LocalObjectReference => (r.name !== undefined ? { name: r.name } : {});

export const copyTLS = (t: TLSOptions): TLSOptions => ({
  ...(t.insecure !== undefined && { insecure: t.insecure }),
  ...(t.insecureSkipTLSVerify !== undefined && { insecureSkipTLSVerify: t.insecureSkipTLSVerify }),
});

const copyBuild = (b: Build): Build => ({
  ...(b.dockerfileConfigMap != null && { dockerfileConfigMap: copyReference(b.dockerfileConfigMap) }),
  buildArgs: (b.buildArgs ?? []).map((a) => ({ name: a.name, value: a.value })),
  secrets: (b.secrets ?? []).map(copyReference),
  ...(b.baseImageRegistryTLS != null && { baseImageRegistryTLS: copyTLS(b.baseImageRegistryTLS) }),
});

const copySign = (s: Sign): Sign => ({
  ...(s.unsignedImage !== undefined && { unsignedImage: s.unsignedImage }),
  ...(s.unsignedImageRegistryTLS != null && { unsignedImageRegistryTLS: copyTLS(s.unsignedImageRegistryTLS) }),
  ...(s.keySecret != null && { keySecret: copyReference(s.keySecret) }),
  ...(s.certSecret != null && { certSecret: copyReference(s.certSecret) }),
  filesToSign: [...(s.filesToSign ?? [])],
});

/**
 * The build section that applies: either one alone is taken whole; with both, the container's,
 * with the mapping's `dockerfileConfigMap` when set, `buildArgs` overridden by name (leftover
 * mapping arguments appended in sorted name order) and the mapping's `secrets` appended.
 * `baseImageRegistryTLS` stays the container's.
 */
export function mergeBuild(container: Build | undefined, mapping: Build | undefined): Build | undefined {
  if (container == null) return mapping == null ? undefined : copyBuild(mapping);
  if (mapping == null) return copyBuild(container);
  const merged = copyBuild(container);
  return {
    ...merged,
    ...(mapping.dockerfileConfigMap != null && { dockerfileConfigMap: copyReference(mapping.dockerfileConfigMap) }),
    buildArgs: overrideBuildArgs(container.buildArgs ?? [], mapping.buildArgs ?? []),
    secrets: [...merged.secrets!, ...(mapping.secrets ?? []).map(copyReference)],
  };
}

/**
 * The sign section that applies, before substitution: either one alone is taken whole; with both,
 * the container's, with the mapping's `unsignedImage` (when non-empty), `keySecret` and
 * `certSecret` (when set), and `filesToSign` appended (the container's first).
 * `unsignedImageRegistryTLS` stays the container's.
 */
export function mergeSign(container: Sign | undefined, mapping: Sign | undefined): Sign | undefined {
  if (container == null) return mapping == null ? undefined : copySign(mapping);
  if (mapping == null) return copySign(container);
  const merged = copySign(container);
  return {
    ...merged,
    ...(mapping.unsignedImage && { unsignedImage: mapping.unsignedImage }),
    ...(mapping.keySecret != null && { keySecret: copyReference(mapping.keySecret) }),
    ...(mapping.certSecret != null && { certSecret: copyReference(mapping.certSecret) }),
    filesToSign: [...merged.filesToSign!, ...(mapping.filesToSign ?? [])],
  };
}

import { parseImageReference, type PreflightValidationOCP } from "../api/index.js";

// Legal but risky: admitted, with a warning kubectl prints to the person applying the object.
// Kept short: the API server may truncate warnings over 256 characters.

export function releaseImageWarnings(releaseImage: unknown): string[] {
  if (typeof releaseImage !== "string") return [];
  const parsed = parseImageReference(releaseImage);
  if (!parsed.ok) return [];
  const warnings: string[] = [];
  if (!parsed.ref.digest) {
    warnings.push(`spec.releaseImage: tag "${parsed.ref.tag ?? "latest"}" can move; pin the release by digest (@sha256:...) so the kernel validated is the one you upgrade to`);
  }
  if (!parsed.ref.registryExplicit) {
    warnings.push(`spec.releaseImage: no registry given, so it is pulled from ${parsed.ref.registry}; OpenShift releases are on quay.io/openshift-release-dev`);
  }
  return warnings;
}

const kernelFlavour = (o: PreflightValidationOCP) => (o.spec?.useRTKernel === true ? "real-time" : "standard");

/**
 * Two resources validating the same release and kernel flavour run the same Jobs twice. A different
 * flavour of the same release is legitimate (the seed asks for one resource per kernel), so no warning.
 * `others` is undefined when the cluster's objects are not known (no cluster, or the cache not synced).
 */
export function duplicateTargetWarnings(o: PreflightValidationOCP, others: readonly PreflightValidationOCP[] | undefined): string[] {
  if (!others || typeof o.spec?.releaseImage !== "string") return [];
  return others
    .filter((x) => x.metadata?.name !== o.metadata?.name && x.spec?.releaseImage === o.spec.releaseImage && kernelFlavour(x) === kernelFlavour(o))
    .map((x) => `PreflightValidationOCP "${x.metadata?.name}" already validates this release image (${kernelFlavour(o)} kernel); delete one of the two`);
}

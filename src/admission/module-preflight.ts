import type { Module, PreflightValidationOCP } from "../api/index.js";
import { KERNEL_MAPPINGS_PATH } from "../kernel/kernel-mapping.js";
import { kernelVariables } from "../kernel/kernel-version.js";
import { resolveModuleTarget } from "../kernel/module-target.js";
import { type FieldError, formatFieldError, required } from "../validation/field-error.js";

// What the PreflightValidationOCPs in the cluster say of a Module before its preflight runs: for each
// one whose kernel is known (status.kernelVersion, written once the release image has been read), the
// Module has a kernel mapping for that kernel, and the mapping names an image for it. The same checks
// the image stage starts with (resolveModuleTarget), so the warning and the later verdict agree.

export interface PreflightFinding {
  /** The PreflightValidationOCP whose kernel the Module fails. */
  readonly preflight: string;
  readonly kernel: string;
  /** For the person applying the Module: what will fail, for which release. */
  readonly warning: string;
  /** The same, as field errors: what enforce mode denies with. */
  readonly errors: readonly FieldError[];
}

/** A digest shortened to 12 hex characters: warnings over 256 characters may be cut by the API server. */
export const shortRelease = (image: string): string => image.replace(/@sha256:([a-f0-9]{12})[a-f0-9]{52}$/, "@sha256:$1…");

const withContext = (e: FieldError, context: string): FieldError => ({ ...e, detail: `${context}: ${e.detail}` });

/**
 * A kernel known for `p`, or undefined: not read yet, the object is going away, or the kernel has too
 * few fields for the kernel variables (the release's oddity, not the Module's; the runner reports it).
 */
function kernelOf(p: PreflightValidationOCP): string | undefined {
  const kernel: unknown = p?.status?.kernelVersion;
  if (typeof kernel !== "string" || kernel === "" || p.metadata?.deletionTimestamp) return undefined;
  return kernelVariables(kernel).ok ? kernel : undefined;
}

function findingFor(module: Module, p: PreflightValidationOCP, kernel: string): PreflightFinding | undefined {
  const r = resolveModuleTarget(module, kernel);
  // No moduleLoader: nothing to validate.
  if (r.ok || r.skip) return undefined;
  const name = p.metadata?.name ?? "";
  const release = shortRelease(String(p.spec?.releaseImage ?? ""));
  const moduleName = `${module.metadata?.namespace ? `${module.metadata.namespace}/` : ""}${module.metadata?.name || module.metadata?.generateName || ""}`;
  const head = `Module ${moduleName} will fail preflight for release ${release} (PreflightValidationOCP ${name})`;
  // With the kernel's variables known, a failure without field errors is a missing mapping.
  if (!r.errors) {
    return {
      preflight: name,
      kernel,
      warning: `${head}: no kernelMappings entry matches kernel ${kernel}`,
      errors: [required(KERNEL_MAPPINGS_PATH, `an entry matching kernel ${kernel}, the kernel of release ${release} (PreflightValidationOCP ${name}): without one the Module fails preflight`)],
    };
  }
  return {
    preflight: name,
    kernel,
    warning: `${head}: the mapping for kernel ${kernel} gives no image: ${r.errors.map(formatFieldError).join("; ")}`,
    errors: r.errors.map((e) => withContext(e, `for kernel ${kernel} (PreflightValidationOCP ${name})`)),
  };
}

/** One finding per PreflightValidationOCP with a known kernel that the Module would fail, in the order given. */
export function modulePreflightFindings(module: Module, preflights: readonly PreflightValidationOCP[]): PreflightFinding[] {
  return preflights.flatMap((p) => {
    const kernel = kernelOf(p);
    const f = kernel === undefined ? undefined : findingFor(module, p, kernel);
    return f ? [f] : [];
  });
}

// Kernel version strings as KMM sees them: normalisation, fields and the variables that image names,
// unsigned images and files to sign may use.

/** The variables every kernel gives, in the order we list them in messages. */
export const KERNEL_VARIABLE_NAMES = [
  "KERNEL_FULL_VERSION",
  "KERNEL_VERSION",
  "KERNEL_XYZ",
  "KERNEL_X",
  "KERNEL_Y",
  "KERNEL_Z",
] as const;

export type KernelVariableName = (typeof KERNEL_VARIABLE_NAMES)[number];
export type KernelVariables = Readonly<Record<KernelVariableName, string>>;

export type KernelVariablesResult =
  | { readonly ok: true; readonly vars: KernelVariables }
  | { readonly ok: false; readonly error: string };

const KEPT_CHAR = /^[A-Za-z0-9._-]$/;
const FIELD_SEPARATOR = /[.,-]/;

/**
 * Replaces every character outside `[A-Za-z0-9._-]` with `_`: `5.15.0+rt` gives `5.15.0_rt`.
 * Works per code point, as KMM maps per rune: a character outside the BMP becomes a single `_`.
 */
export function normalizeKernel(kernel: string): string {
  let out = "";
  for (const c of kernel) out += KEPT_CHAR.test(c) ? c : "_";
  return out;
}

/**
 * The fields of a kernel: the normalised string split on `.`, `,` and `-`, empty fields kept.
 *
 * The semantics list `,` as a separator but also say the string is normalised first, which turns
 * `,` into `_`; so a comma never separates fields (`5,14,0` is one field, `5_14_0`). We follow the
 * order the semantics describe (normalise, then split) and keep `,` in the separator set only for
 * parity with upstream; it can never match. The function normalises itself, so raw and already
 * normalised input give the same fields.
 *
 * Empty fields are kept (`5..14` gives `["5", "", "14"]`), as upstream's split does.
 */
export function kernelFields(kernel: string): string[] {
  return normalizeKernel(kernel).split(FIELD_SEPARATOR);
}

/**
 * The kernel variables of KMM: `KERNEL_FULL_VERSION` and `KERNEL_VERSION` are the whole normalised
 * kernel, `KERNEL_XYZ` the first three fields joined with `.`, `KERNEL_X|Y|Z` those fields.
 * Fewer than three fields is an error (upstream v2.3 panicked on it; later versions reject it).
 */
export function kernelVariables(kernel: string): KernelVariablesResult {
  const normalized = normalizeKernel(kernel);
  const fields = kernelFields(normalized);
  const [x, y, z] = fields;
  if (x === undefined || y === undefined || z === undefined) {
    return { ok: false, error: `invalid kernel version ${kernel}: expected at least three components (major.minor.patch)` };
  }
  return {
    ok: true,
    vars: {
      KERNEL_FULL_VERSION: normalized,
      KERNEL_VERSION: normalized,
      KERNEL_XYZ: [x, y, z].join("."),
      KERNEL_X: x,
      KERNEL_Y: y,
      KERNEL_Z: z,
    },
  };
}

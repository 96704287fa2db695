import type { PreflightValidationOCP } from "../api/index.js";
import { isObject } from "../util/is-object.js";


/**
 * The spec with its defaults filled in. Pure and idempotent; never validates (a spec that is not an
 * object is returned unchanged for validation to report) and never touches status. `null` counts as
 * absent, as it does for the API server's structural defaulting.
 */
export function applyPreflightDefaults(o: Readonly<PreflightValidationOCP>): PreflightValidationOCP {
  const spec: unknown = o.spec;
  if (!isObject(spec)) return o;
  const withDefaults = { ...spec, pushBuiltImage: spec["pushBuiltImage"] ?? false, useRTKernel: spec["useRTKernel"] ?? false };
  return { ...o, spec: withDefaults as unknown as PreflightValidationOCP["spec"] };
}

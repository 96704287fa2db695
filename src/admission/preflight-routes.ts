import { GROUP, MUTATE_PREFLIGHT_PATH, PREFLIGHT_KIND, PREFLIGHT_VERSION, VALIDATE_PREFLIGHT_PATH, type PreflightValidationOCP } from "../api/index.js";
import type { AdmissionRoute } from "./http.js";
import { type PreflightLister, type PreflightValidatorOptions, preflightDefaulter, preflightValidator } from "./preflight-webhook.js";
import { handleMutation, handleValidation } from "./review-handle.js";

export const PREFLIGHT_GVK = { group: GROUP, version: PREFLIGHT_VERSION, kind: PREFLIGHT_KIND } as const;

export interface PreflightRouteOptions extends PreflightValidatorOptions {
  /**
   * Told the name of each PreflightValidationOCP whose CREATE was admitted (not a dry run), so the runner
   * can queue it at once. Nothing else happens in the request: Jobs are created by the runner.
   */
  readonly onCreateAdmitted?: (name: string) => void;
}

/** The mutating and validating webhooks for PreflightValidationOCP. */
export function preflightRoutes(cluster?: PreflightLister, opts: PreflightRouteOptions = {}): AdmissionRoute[] {
  const validator = preflightValidator(cluster, opts);
  return [
    {
      path: MUTATE_PREFLIGHT_PATH,
      webhook: "mutate-preflightvalidationocp",
      handle: (r) => handleMutation<PreflightValidationOCP>(r, PREFLIGHT_GVK, preflightDefaulter),
    },
    {
      path: VALIDATE_PREFLIGHT_PATH,
      webhook: "validate-preflightvalidationocp",
      handle: (r) => {
        const outcome = handleValidation<PreflightValidationOCP>(r, PREFLIGHT_GVK, validator);
        const name = (r.object as Partial<PreflightValidationOCP> | undefined)?.metadata?.name;
        if (opts.onCreateAdmitted && r.operation === "CREATE" && r.dryRun !== true && outcome.decision === "allowed" && typeof name === "string") opts.onCreateAdmitted(name);
        return outcome;
      },
    },
  ];
}

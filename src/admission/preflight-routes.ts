import { GROUP, MUTATE_PREFLIGHT_PATH, PREFLIGHT_KIND, PREFLIGHT_VERSION, VALIDATE_PREFLIGHT_PATH, type PreflightValidationOCP } from "../api/index.js";
import type { AdmissionRoute } from "./http.js";
import { type PreflightLister, type PreflightValidatorOptions, preflightDefaulter, preflightValidator } from "./preflight-webhook.js";
import { handleMutation, handleValidation } from "./review-handle.js";

export const PREFLIGHT_GVK = { group: GROUP, version: PREFLIGHT_VERSION, kind: PREFLIGHT_KIND } as const;

/** The mutating and validating webhooks for PreflightValidationOCP. */
export function preflightRoutes(cluster?: PreflightLister, opts: PreflightValidatorOptions = {}): AdmissionRoute[] {
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
      handle: (r) => handleValidation<PreflightValidationOCP>(r, PREFLIGHT_GVK, validator),
    },
  ];
}

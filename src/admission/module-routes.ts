import { GROUP, MODULE_KIND, MODULE_VERSION, VALIDATE_MODULE_ENFORCE_PATH, VALIDATE_MODULE_PATH, type Module } from "../api/index.js";
import type { AdmissionRoute } from "./http.js";
import { type ModuleValidatorOptions, moduleValidator } from "./module-webhook.js";
import type { PreflightLister } from "./preflight-webhook.js";
import { handleValidation } from "./review-handle.js";

export const MODULE_GVK = { group: GROUP, version: MODULE_VERSION, kind: MODULE_KIND } as const;

/**
 * The Module policy webhooks: one that warns about the preflight checks and one that denies on them
 * (enforce mode). Which one a Module goes to is the webhook configuration's namespaceSelector.
 */
export function moduleRoutes(cluster?: PreflightLister, opts: Omit<ModuleValidatorOptions, "enforce"> = {}): AdmissionRoute[] {
  const warn = moduleValidator(cluster, opts);
  const enforce = moduleValidator(cluster, { ...opts, enforce: true });
  return [
    { path: VALIDATE_MODULE_PATH, webhook: "validate-module", handle: (r) => handleValidation<Module>(r, MODULE_GVK, warn) },
    { path: VALIDATE_MODULE_ENFORCE_PATH, webhook: "validate-module-enforce", handle: (r) => handleValidation<Module>(r, MODULE_GVK, enforce) },
  ];
}

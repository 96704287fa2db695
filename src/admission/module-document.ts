import { MODULE_API_VERSION, type Module } from "../api/index.js";
import { notSupported } from "../validation/field-error.js";
import { FieldPath } from "../validation/field-path.js";
import { unknownModuleFields } from "./module-fields.js";
import { moduleValidator } from "./module-webhook.js";
import type { Verdict } from "./webhook.js";

const offline = moduleValidator();

/**
 * A Module document checked offline (`kmm-preflight validate`) as a cluster would check it on create:
 * the API server's version and strict field checks, then Module policy. No cluster, so no preflight
 * checks. Errors deny; warnings are printed either way.
 */
export function validateModuleDocument(obj: Record<string, unknown>): Verdict {
  if (obj["apiVersion"] !== MODULE_API_VERSION) {
    return { errors: [notSupported(FieldPath.root("apiVersion"), obj["apiVersion"], [MODULE_API_VERSION])], warnings: [] };
  }
  const verdict = offline.validateCreate(obj as unknown as Module);
  return { errors: [...unknownModuleFields(obj), ...verdict.errors], warnings: verdict.warnings };
}

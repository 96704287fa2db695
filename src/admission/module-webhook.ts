import { jsonEqual } from "../util/json-equal.js";
import type { Module, PreflightValidationOCP } from "../api/index.js";
import type { FieldError } from "../validation/field-error.js";
import { validateRatcheted } from "../validation/ratcheting.js";
import { modulePreflightFindings } from "./module-preflight.js";
import { validateModule, validateModuleUpdate } from "./module-validation.js";
import { moduleWarnings } from "./module-warnings.js";
import { NO_CLUSTER, type PreflightLister, listPreflights } from "./preflight-webhook.js";
import { ALLOW, type Validator, type Verdict } from "./webhook.js";

// The Module policy webhook: the rules deny, the preflight checks warn (or, in enforce mode, deny).
// The PreflightValidationOCPs come from the watch cache only, never from the API server or a registry
// while a request waits (ADR 3).

export interface ModuleValidatorOptions {
  /**
   * The preflight checks deny instead of warning: the webhook serving namespaces labelled for
   * enforcement (docs/adr/0016). A denial then depends on the cache; a request the cache cannot
   * answer yet is admitted with a warning saying so. @default false
   */
  readonly enforce?: boolean;
  /** Told when the PreflightValidationOCP lookup failed; the preflight checks are skipped for that request. */
  readonly onLookupError?: (err: unknown) => void;
}

export const PREFLIGHT_CHECKS_SKIPPED =
  "kmm-preflight: the preflight checks were skipped: the cluster's PreflightValidationOCPs are not known yet (cache not synced, or no cluster configured)";

const findingErrors = (m: Module, preflights: readonly PreflightValidationOCP[]): FieldError[] =>
  modulePreflightFindings(m, preflights).flatMap((f) => f.errors);

export function moduleValidator(cluster: PreflightLister = NO_CLUSTER, opts: ModuleValidatorOptions = {}): Validator<Module> {
  const enforce = opts.enforce ?? false;

  /** `base` (a Module the rules admit) with what the PreflightValidationOCPs say of it; `old` on an update. */
  function withPreflightChecks(o: Module, old: Module | undefined, base: Verdict): Verdict {
    const preflights = listPreflights(cluster, opts.onLookupError);
    if (!preflights) return enforce ? { ...base, warnings: [...base.warnings, PREFLIGHT_CHECKS_SKIPPED] } : base;
    const findings = modulePreflightFindings(o, preflights);
    const warnings = findings.map((f) => f.warning);
    if (!enforce) return { ...base, warnings: [...base.warnings, ...warnings] };
    // What the stored Module already failed is not held against an update (ADR 4): it stays a warning.
    const denied = old ? validateRatcheted(o, old, (m) => findingErrors(m, preflights)) : findings.flatMap((f) => f.errors);
    return { errors: [...base.errors, ...denied], warnings: [...base.warnings, ...(denied.length ? [] : warnings)] };
  }

  return {
    validateCreate(o) {
      const errors = validateModule(o);
      const base = { errors, warnings: moduleWarnings(o) };
      return errors.length ? base : withPreflightChecks(o, undefined, base);
    },
    validateUpdate(old, o) {
      const errors = validateModuleUpdate(o, old);
      // The warnings were given when the spec last changed; repeating them on every label, finalizer
      // or status-owner edit would teach people to ignore them.
      if (jsonEqual(o?.spec, old?.spec)) return { errors, warnings: [] };
      const base = { errors, warnings: moduleWarnings(o) };
      return errors.length ? base : withPreflightChecks(o, old, base);
    },
    validateDelete: () => ALLOW,
  };
}

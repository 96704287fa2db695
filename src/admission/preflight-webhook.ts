import type { PreflightValidationOCP } from "../api/index.js";
import { applyPreflightDefaults } from "./preflight-defaults.js";
import { validatePreflight, validatePreflightUpdate } from "./preflight-validation.js";
import { duplicateTargetWarnings, releaseImageWarnings } from "./preflight-warnings.js";
import { ALLOW, type Defaulter, type Validator } from "./webhook.js";

/** The PreflightValidationOCP objects in the cluster, or undefined when they are not known right now. Must not block. */
export interface PreflightLister {
  list(): readonly PreflightValidationOCP[] | undefined;
}

export interface PreflightValidatorOptions {
  /**
   * Told when the cluster lookup behind a warning failed. The warning is dropped and the request
   * answered: a warning source must never deny (ADR 3).
   */
  readonly onLookupError?: (err: unknown) => void;
}

export const NO_CLUSTER: PreflightLister = { list: () => undefined };

/** What `cluster` lists, or undefined when it failed (told to `onLookupError`): a warning source must never deny or fail a request (ADR 3). */
export function listPreflights(cluster: PreflightLister, onLookupError?: (err: unknown) => void): readonly PreflightValidationOCP[] | undefined {
  try {
    return cluster.list();
  } catch (err) {
    onLookupError?.(err);
    return undefined;
  }
}

export const preflightDefaulter: Defaulter<PreflightValidationOCP> = applyPreflightDefaults;

export function preflightValidator(cluster: PreflightLister = NO_CLUSTER, opts: PreflightValidatorOptions = {}): Validator<PreflightValidationOCP> {
  const others = () => listPreflights(cluster, opts.onLookupError);
  return {
    validateCreate(o) {
      const errors = validatePreflight(o);
      if (errors.length) return { errors, warnings: [] };
      return { errors, warnings: [...releaseImageWarnings(o.spec.releaseImage), ...duplicateTargetWarnings(o, others())] };
    },
    // The release image is immutable, so its warnings were given at creation; repeating them on every
    // label edit would teach people to ignore them.
    validateUpdate: (old, o) => ({ errors: validatePreflightUpdate(o, old), warnings: [] }),
    validateDelete: () => ALLOW,
  };
}

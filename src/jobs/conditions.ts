import { CONDITION_COMPLETE, CONDITION_VERIFIED, type Condition, type PreflightModuleStatus, type PreflightSummary } from "../api/index.js";

// The PreflightValidationOCP's conditions (ADR 11), from its Module entries.

export function summarize(entries: readonly PreflightModuleStatus[]): PreflightSummary {
  const s = { verified: 0, failed: 0, errors: 0, pending: 0 };
  for (const e of entries) {
    if (e.verificationStatus === "true") s.verified++;
    else if (e.verificationStatus === "false") s.failed++;
    else if (e.verificationStatus === "error") s.errors++;
    else s.pending++;
  }
  return s;
}

const names = (entries: readonly PreflightModuleStatus[], status: string, max = 5) => {
  const hit = entries.filter((e) => e.verificationStatus === status).map((e) => `${e.namespace}/${e.name}`);
  return hit.length > max ? `${hit.slice(0, max).join(", ")} and ${hit.length - max} more` : hit.join(", ");
};

export interface ConditionInput {
  readonly entries: readonly PreflightModuleStatus[];
  /** Why no Module can be checked yet (the kernel is being read), if so. */
  readonly blocked?: string;
}

type NewCondition = Omit<Condition, "lastTransitionTime" | "observedGeneration">;

/**
 * Complete and Verified, before their times are set. A recheck of a Module that has a verdict (a
 * revalidation, an error's retry) does not make the validation incomplete: Complete would otherwise
 * flap for as long as one Module keeps failing, and a pipeline waiting on it could not rely on it.
 */
export function preflightConditions(i: ConditionInput): NewCondition[] {
  const s = summarize(i.entries);
  const total = i.entries.length;
  let complete: NewCondition;
  if (i.blocked) complete = { type: CONDITION_COMPLETE, status: "False", reason: "KernelPending", message: i.blocked };
  else if (s.pending > 0) {
    complete = { type: CONDITION_COMPLETE, status: "False", reason: "ChecksRunning", message: `${s.pending} of ${total} Modules not checked yet` };
  } else complete = { type: CONDITION_COMPLETE, status: "True", reason: total ? "AllModulesChecked" : "NoModules", message: total ? `all ${total} Modules have a verdict` : "there is no Module in the cluster" };

  let verified: NewCondition;
  if (s.failed > 0 || s.errors > 0) {
    const parts = [s.failed && `${s.failed} failed (${names(i.entries, "false")})`, s.errors && `${s.errors} could not be checked (${names(i.entries, "error")})`].filter(Boolean);
    verified = { type: CONDITION_VERIFIED, status: "False", reason: s.failed ? "ModulesFailed" : "ModulesErrored", message: `${parts.join("; ")}: see status.modules` };
  } else if (s.pending > 0 || i.blocked) {
    verified = { type: CONDITION_VERIFIED, status: "Unknown", reason: "ChecksRunning", message: i.blocked ?? `${s.verified} of ${total} Modules verified so far` };
  } else verified = { type: CONDITION_VERIFIED, status: "True", reason: total ? "AllModulesVerified" : "NoModules", message: total ? `all ${total} Modules will load on the upgraded kernel` : "there is no Module in the cluster" };
  return [complete, verified];
}

/**
 * `current` with each of `updates` set (by type), the others (written by anyone else) kept as they are.
 * A condition's lastTransitionTime moves only when its status changes.
 */
export function setConditions(current: readonly Condition[] | undefined, updates: readonly NewCondition[], now: string, generation: number | undefined): Condition[] {
  const out = [...(current ?? [])];
  for (const u of updates) {
    const i = out.findIndex((c) => c.type === u.type);
    const prev = i >= 0 ? out[i] : undefined;
    const next: Condition = {
      ...u,
      lastTransitionTime: prev && prev.status === u.status && prev.lastTransitionTime ? prev.lastTransitionTime : now,
      ...(generation !== undefined && { observedGeneration: generation }),
    };
    if (i >= 0) out[i] = next;
    else out.push(next);
  }
  return out;
}

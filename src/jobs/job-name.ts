import { createHash } from "node:crypto";
import type { VerificationStage } from "../api/index.js";

// Job names are derived, never generated: the same PreflightValidationOCP, Module, stage and spec
// always give the same name, so a second replica, a restart or a retry of a reconcile cannot start a
// second Job (the create answers AlreadyExists). ADR 12.

/** A Job's name becomes a label value on its Pods (job-name): 63 characters at most. */
export const MAX_JOB_NAME_LENGTH = 63;
const HASH_LENGTH = 10;

export interface JobIdentity {
  /** The PreflightValidationOCP's uid: a PFVO deleted and created again under the same name gets new Jobs. */
  readonly preflightUid: string;
  readonly namespace: string;
  readonly module: string;
  readonly stage: VerificationStage;
  readonly specHash: string;
  /**
   * A build or sign Job that pushes its image (pushBuiltImage) is another Job than one that does not:
   * a sign stage must never follow a build that left nothing in the registry. Not part of the name when false.
   */
  readonly push?: boolean;
}

/** `preflight-<stage>-<module>-<hash>`, the module name cut to fit, DNS-1123 label safe. */
export function jobName(id: JobIdentity): string {
  const hash = createHash("sha256").update([id.preflightUid, id.namespace, id.module, id.stage, id.specHash, ...(id.push ? ["push"] : [])].join("\n")).digest("hex").slice(0, HASH_LENGTH);
  const prefix = `preflight-${id.stage}-`;
  const room = MAX_JOB_NAME_LENGTH - prefix.length - HASH_LENGTH - 1;
  const module = id.module.toLowerCase().replace(/[^a-z0-9-]+/g, "-").slice(0, room).replace(/-+$/, "");
  return module ? `${prefix}${module}-${hash}` : `${prefix}${hash}`;
}

import type { VerificationStage } from "../api/index.js";
import type { ModuleTarget } from "../kernel/module-target.js";
import { DOCKERFILE_KEY } from "./build-job.js";
import type { JobOutcome } from "./job-outcome.js";
import type { Job } from "./objects.js";

// The stage machine of one round (seed: "Preflight validation stages per Module", ADR 15): the image
// stage first; only when it fails (false, not error), the build stage where a build section applies,
// then the sign stage where a sign section applies (after a successful build, if there was one). The
// Module is true when the last applicable stage succeeds; the first stage that fails gives the verdict.

export const STAGES: readonly VerificationStage[] = ["image", "build", "sign"];

/** The stages a round may run for this target, in order. */
export function applicableStages(t: ModuleTarget): VerificationStage[] {
  return ["image", ...(t.build ? (["build"] as const) : []), ...(t.sign ? (["sign"] as const) : [])];
}

/** A ConfigMap as read for a build: its data, or "missing" when the API server says it does not exist. */
export type ConfigMapState = { readonly data: Readonly<Record<string, string>> } | "missing";

export interface ObjectRef {
  readonly namespace: string;
  readonly name: string;
}

/** What is known of one stage before deciding: decided without a Job, its Job, or nothing yet. */
export type StageLook =
  | { readonly kind: "decided"; readonly verdict: "false" | "error"; readonly reason: string }
  | { readonly kind: "needs"; readonly configMap: ObjectRef }
  | { readonly kind: "absent" }
  | { readonly kind: "starting" }
  | { readonly kind: "refused"; readonly message: string; readonly at: string }
  | { readonly kind: "job"; readonly job: Job; readonly outcome: JobOutcome };

export type Round =
  | { readonly kind: "needs"; readonly stage: VerificationStage; readonly configMap: ObjectRef }
  | { readonly kind: "running"; readonly stage: VerificationStage; readonly detail: string; readonly sinceMs?: number; readonly carried?: string }
  | { readonly kind: "starting"; readonly stage: VerificationStage }
  | { readonly kind: "create"; readonly stage: VerificationStage; readonly carried?: string }
  | {
      readonly kind: "final";
      readonly stage: VerificationStage;
      readonly verdict: "true" | "false" | "error";
      readonly reason: string;
      /** When the Job that gave it finished (what identifies it); absent when decided without a Job. */
      readonly finishedAt?: string;
      /** The stage's Pod could not start: its Job is to be deleted. */
      readonly stuck?: boolean;
      /** A check ran (or could not), for the metrics; not for verdicts decided from the spec. */
      readonly counted: boolean;
    };

/** Walks the stages in order: the first that is running, to start, or final decides the round. */
export function walkStages(stages: readonly VerificationStage[], look: (stage: VerificationStage) => StageLook): Round {
  let carried: string | undefined;
  for (const [i, stage] of stages.entries()) {
    const l = look(stage);
    switch (l.kind) {
      case "decided":
        return { kind: "final", stage, verdict: l.verdict, reason: carried ? `${l.reason} (${carried})` : l.reason, counted: false };
      case "needs":
        return { kind: "needs", stage, configMap: l.configMap };
      case "starting":
        return { kind: "starting", stage };
      case "absent":
        return { kind: "create", stage, ...(carried && { carried }) };
      case "refused":
        return { kind: "final", stage, verdict: "error", reason: `cannot create the ${stage}-stage Job: ${l.message}`, finishedAt: l.at, counted: true };
      case "job": {
        const o = l.outcome;
        if (o.state === "running") return { kind: "running", stage, detail: o.detail, ...(o.sinceMs !== undefined && { sinceMs: o.sinceMs }), ...(carried && { carried }) };
        if (o.state === "stuck") return { kind: "final", stage, verdict: o.verdict ?? "error", reason: o.reason, stuck: true, counted: true };
        // The image stage failing (false, not error) hands over to the build or sign stage; a build that succeeded to the sign stage.
        const handsOver = (stage === "image" && o.verdict === "false") || (stage === "build" && o.verdict === "true");
        if (handsOver && i < stages.length - 1) {
          carried = stage === "image" ? `the image stage: ${o.reason}` : `the build stage: ${o.reason}`;
          continue;
        }
        return { kind: "final", stage, verdict: o.verdict, reason: o.reason, finishedAt: o.finishedAt, counted: true };
      }
    }
  }
  throw new Error("walkStages: no stage to walk");
}

const KERNEL_VERSION_ARG = /\$\{?(KERNEL_VERSION|KERNEL_FULL_VERSION)\}?|\b\d+\.\d+\.\d+[-\w.+]*/;

/**
 * Why the Dockerfile's `depmod` would index the wrong kernel: run without a version, it indexes the
 * running (build host's) kernel, so modprobe on the upgraded nodes would not find the module. The
 * seed's advice: `RUN depmod -b /opt ${KERNEL_VERSION}`.
 */
export function depmodWarning(dockerfile: string): string | undefined {
  const lines = dockerfile.replace(/\\\r?\n/g, " ").split(/\r?\n/);
  const bad = lines.find((l) => /^\s*RUN\b/i.test(l) && /\bdepmod\b/.test(l) && !KERNEL_VERSION_ARG.test(l.slice(l.indexOf("depmod"))));
  return bad ? `warning: the Dockerfile runs depmod without a kernel version (${bad.trim().slice(0, 120)}); modprobe will not find the module on the upgraded kernel: write RUN depmod -b /opt \${KERNEL_VERSION}` : undefined;
}

/**
 * What decides a stage before any Job, or undefined when it may run. `started`: the stage's Job exists,
 * so a build ConfigMap not read yet is not asked for (the Job mounts it; no API request per pass).
 */
export function precheck(stage: VerificationStage, t: ModuleTarget, stages: readonly VerificationStage[], pushBuilt: boolean, configMaps: ReadonlyMap<string, ConfigMapState>, namespace: string, started = false): StageLook | undefined {
  const decided = (verdict: "false" | "error", reason: string): StageLook => ({ kind: "decided", verdict, reason });
  const pinned = pushBuilt && t.imageReference.digest !== undefined;
  if (stage === "build") {
    const name = t.build?.dockerfileConfigMap?.name;
    if (!name) return decided("false", "spec.moduleLoader.container.build.dockerfileConfigMap is not set: the build stage needs the ConfigMap holding the Dockerfile");
    if (pinned && !t.sign) return decided("false", `the containerImage ${t.containerImage} is pinned by digest: a build cannot push to it; name it by tag`);
    const cm = configMaps.get(`${namespace}/${name}`);
    if (cm === undefined) return started ? undefined : { kind: "needs", configMap: { namespace, name } };
    if (cm === "missing") return decided("false", `ConfigMap ${namespace}/${name} (build.dockerfileConfigMap) does not exist: create it with the Dockerfile under the key "${DOCKERFILE_KEY}"`);
    if (!cm.data[DOCKERFILE_KEY]) return decided("false", `ConfigMap ${namespace}/${name} (build.dockerfileConfigMap) has no "${DOCKERFILE_KEY}" key: put the Dockerfile there`);
    return undefined;
  }
  if (stage === "sign") {
    const sign = t.sign;
    if (!sign?.keySecret?.name || !sign.certSecret?.name) return decided("false", "sign.keySecret and sign.certSecret must both name Secrets (keys \"key\" and \"cert\")");
    if (stages.includes("build") && !pushBuilt) {
      return decided("false", "the sign stage signs the build's output, which only exists in a registry when the PreflightValidationOCP sets spec.pushBuiltImage: true; set it to validate signing");
    }
    if (!stages.includes("build") && !sign.unsignedImage) return decided("false", `sign.unsignedImage is required: no build section applies to kernel ${t.kernel}, so the image to sign must be named`);
    if (pinned) return decided("false", `the containerImage ${t.containerImage} is pinned by digest: the signed image cannot be pushed to it; name it by tag`);
  }
  return undefined;
}

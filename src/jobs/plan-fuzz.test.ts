import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Module, PreflightValidationOCP } from "../api/index.js";
import { mutate, seededRandom } from "../admission/test-hostile-reviews.js";
import { validModule } from "../admission/test-modules.js";
import type { Job, Pod } from "./objects.js";
import { TERMINATION_MESSAGE_MAX_BYTES, terminationMessage } from "./termination-message.js";
import * as sut from "./plan.js";
import { CONFIG, T0, iso } from "./test-plan.js";

// A property of the plan: whatever the cluster hands it (Modules of any shape, since their CRD is
// KMM's; Jobs and Pods in any state; termination messages garbled, truncated, huge or from a newer
// version), it never throws, plans every well-formed Module, keeps what others wrote in the status, and
// writes entries the CRD accepts. Seeded, so a failure names its case and repeats.

const CASES = 300;
const KERNEL = "5.14.0-284.25.1.el9_2.x86_64";
const STATUSES = ["true", "false", "error", "unknown"];
const STAGES = ["image", "build", "sign"];

function moduleNamed(name: string, rnd: () => number): Module {
  const m = validModule() as unknown as { metadata: Record<string, unknown>; spec: { moduleLoader: { container: Record<string, unknown> } } };
  m.metadata = { name, namespace: "drivers", uid: `${name}-uid`, generation: 1 };
  const c = m.spec.moduleLoader.container;
  if (rnd() < 0.3) c["build"] = { dockerfileConfigMap: { name: "dockerfile" }, buildArgs: [{ name: "A", value: "1" }], secrets: [{ name: "s" }] };
  if (rnd() < 0.3) c["sign"] = { keySecret: { name: "key" }, certSecret: { name: "cert" }, unsignedImage: "quay.io/org/unsigned:1", filesToSign: ["/opt/lib/modules/${KERNEL_FULL_VERSION}/x.ko"] };
  return m as unknown as Module;
}

function preflightWithStatus(rnd: () => number): PreflightValidationOCP {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const entry = (name: string) => ({ namespace: "drivers", name, verificationStatus: pick(STATUSES), verificationStage: pick(STAGES), statusReason: "written before", lastTransitionTime: iso(T0 - 3_600_000), lastCheckTime: iso(T0 - pick([1_000, 3_600_000, -86_400_000])), specHash: "0123456789abcdef", consecutiveErrors: pick([1, 7, 1_000_000]) });
  return {
    apiVersion: "kmm.sigs.x-k8s.io/v1beta2",
    kind: "PreflightValidationOCP",
    metadata: { name: "upgrade", uid: "pf-uid", generation: 2 },
    spec: { releaseImage: "quay.io/openshift-release-dev/ocp-release@sha256:" + "a".repeat(64) },
    status: {
      modules: ["good-0", "bad-0", "vanished"].map(entry),
      conditions: [{ type: "Approved", status: "True", reason: "ByHuman", message: "ok", lastTransitionTime: iso(T0 - 1000) }],
      note: "written by another tool",
    } as unknown as PreflightValidationOCP["status"],
  };
}

/** What a finished or running Pod of `job` may say, good and bad. */
function podOf(job: Job, k: number, rnd: () => number): Pod {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const result = (name: string) => ({ namespace: "drivers", name, kernel: KERNEL, verificationStatus: pick(["true", "false", "error"] as const), reason: "r".repeat(pick([1, 5000])) });
  const message = pick<() => string | undefined>([
    () => undefined,
    () => "",
    () => "not JSON {",
    () => "x".repeat(TERMINATION_MESSAGE_MAX_BYTES * 4),
    () => terminationMessage({ kernel: KERNEL, results: [result(job.metadata.labels ? "good-0" : "x")], errors: [] }).slice(0, 40),
    () => JSON.stringify({ version: 2, results: [{ anything: true }] }),
    () => JSON.stringify({ version: 1, results: [{ namespace: "drivers", name: "good-0", verificationStatus: "maybe", reason: "?" }] }),
    () => JSON.stringify({ version: 1, truncated: true, counts: { true: 3 } }),
    () => JSON.stringify({ results: {}, errors: "e" }),
    () => "null",
    () => terminationMessage({ kernel: KERNEL, results: ["good-0", "good-1", "bad-0"].map(result), errors: ["e".repeat(300)] }),
  ])();
  const state = pick<() => NonNullable<NonNullable<Pod["status"]>["containerStatuses"]>[number]["state"]>([
    () => ({ terminated: { exitCode: pick([0, 1, 2, 137]), reason: pick(["Completed", "Error", "OOMKilled"]), ...(message !== undefined && { message }) } }),
    () => ({ waiting: { reason: pick(["ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ContainerCreating", "CreateContainerConfigError"]), message: "m" } }),
    () => ({ running: { startedAt: iso(T0 - 5000) } }),
    () => ({}),
  ])();
  return {
    metadata: { name: `${job.metadata.name}-p${k}`, namespace: job.metadata.namespace, uid: `pod-${k}`, ...(rnd() < 0.8 && { creationTimestamp: iso(T0 - 120_000) }), ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: job.metadata.name!, uid: job.metadata.uid! }] },
    status: { phase: pick(["Pending", "Running", "Succeeded", "Failed"]), containerStatuses: rnd() < 0.9 ? [{ name: pick(["check", "build", "push", "sign"]), state }] : [] },
  } as Pod;
}

describe("planPreflight()", () => {
  describe(`given ${CASES} seeded clusters of hostile Modules, Jobs and Pods`, () => {
    it("never throws, plans every Module (naming a malformed one's bad field), keeps others' status, and writes entries the CRD accepts", () => {
      const rnd = seededRandom(1205);
      const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
      const failures: string[] = [];
      for (let i = 0; i < CASES; i++) {
        const good = ["good-0", "good-1"].map((n) => moduleNamed(n, rnd));
        const bad = ["bad-0", "bad-1"].map((n) => moduleNamed(n, rnd));
        for (const m of bad) mutate((m as unknown as { spec: unknown }).spec, rnd, 1 + Math.floor(rnd() * 3));
        const preflight = preflightWithStatus(rnd);
        const base = { preflight, modules: [...good, ...bad], events: [], creationFailures: new Map(), pendingCreates: new Set<string>(), runningJobs: pick([0, 19, 500]), configMaps: new Map([["drivers/dockerfile", { data: { dockerfile: "FROM x\nRUN depmod ${KERNEL_FULL_VERSION}" } }]]) };
        try {
          const first = sut.planPreflight({ ...base, runningJobs: 0, kernel: { kind: "known", kernel: KERNEL }, jobs: [], pods: [] }, T0, CONFIG);
          const jobs = first.create.map((j, k): Job => ({ ...j, metadata: { ...j.metadata, uid: `job-${k}`, creationTimestamp: iso(T0 - 120_000) }, status: rnd() < 0.6 ? { conditions: [{ type: pick(["Complete", "Failed"]), status: "True", reason: pick(["Completed", "DeadlineExceeded", "BackoffLimitExceeded"]), lastTransitionTime: iso(T0 - 1000) }] } : {} }));
          const pods = jobs.flatMap((j, k) => (rnd() < 0.85 ? [podOf(j, k, rnd)] : []));
          const kernel = pick<sut.Observed["kernel"]>([{ kind: "known", kernel: KERNEL }, { kind: "known", kernel: KERNEL }, { kind: "pending" }, { kind: "failed", reason: "the release image has no kernel" }]);
          const plan = sut.planPreflight({ ...base, kernel, jobs, pods }, T0 + 60_000, CONFIG);
          JSON.stringify(plan);
          const entries = plan.status.modules ?? [];
          for (const n of ["good-0", "good-1", "bad-0", "bad-1"]) if (!entries.some((e) => e.name === n)) failures.push(`case ${i}: no entry for ${n}`);
          // Even a malformed Module is read far enough to name its bad field, not "could not read".
          for (const e of entries) if (e.statusReason?.startsWith("kmm-preflight could not read")) failures.push(`case ${i}: ${e.name} unread: ${e.statusReason}`);
          for (const e of entries) {
            if (e.name !== "vanished" && !STATUSES.includes(e.verificationStatus)) failures.push(`case ${i}: ${e.name} status ${String(e.verificationStatus)}`);
            if (!STAGES.includes(e.verificationStage!)) failures.push(`case ${i}: ${e.name} stage ${String(e.verificationStage)}`);
            if (typeof e.statusReason !== "string" || e.statusReason.length > 1024) failures.push(`case ${i}: ${e.name} reason of ${e.statusReason?.length} characters`);
            if (Number.isNaN(Date.parse(e.lastTransitionTime ?? ""))) failures.push(`case ${i}: ${e.name} lastTransitionTime ${String(e.lastTransitionTime)}`);
          }
          if (entries.some((e) => e.name === "vanished")) failures.push(`case ${i}: kept the entry of a Module that is gone`);
          if ((plan.status as Record<string, unknown>)["note"] !== "written by another tool") failures.push(`case ${i}: dropped status.note`);
          if (!plan.status.conditions?.some((c) => c.type === "Approved")) failures.push(`case ${i}: dropped the Approved condition`);
          for (const j of plan.create) if ((j.metadata.name ?? "").length > 63 || (j.metadata.namespace ?? "") !== "drivers") failures.push(`case ${i}: Job ${j.metadata.namespace}/${j.metadata.name}`);
        } catch (err) {
          failures.push(`case ${i}: threw ${err instanceof Error ? err.stack : String(err)}`);
        }
      }
      assert.deepEqual(failures.slice(0, 10), []);
    });
  });
});

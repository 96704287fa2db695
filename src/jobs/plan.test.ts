import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MAX_STATUS_MODULES, MAX_STATUS_REASON_LENGTH, type Module, type PreflightModuleStatus, type PreflightValidationOCP } from "../api/index.js";
import type { Job, KubeEvent, Pod } from "./objects.js";
import { terminationMessage } from "./termination-message.js";
import * as sut from "./plan.js";
import { CONFIG, T0, iso } from "./test-plan.js";

const KERNEL = "5.14.0-427.13.1.el9_4.x86_64";

function pfvo(modules?: PreflightModuleStatus[], extra: Partial<PreflightValidationOCP["status"]> = {}): PreflightValidationOCP {
  return {
    apiVersion: "kmm.sigs.x-k8s.io/v1beta2",
    kind: "PreflightValidationOCP",
    metadata: { name: "upgrade", uid: "pf-uid", generation: 1, resourceVersion: "10" },
    spec: { releaseImage: "quay.io/openshift-release-dev/ocp-release@sha256:" + "a".repeat(64) },
    ...(modules || Object.keys(extra).length ? { status: { ...(modules && { modules }), ...extra } } : {}),
  };
}

function mod(name: string, namespace = "drivers", over: Partial<Module["spec"]> = {}): Module {
  return {
    apiVersion: "kmm.sigs.x-k8s.io/v1beta1",
    kind: "Module",
    metadata: { name, namespace, uid: `${name}-uid` },
    spec: {
      selector: { "node-role.kubernetes.io/worker": "" },
      moduleLoader: {
        container: {
          modprobe: { moduleName: name.replace(/-/g, "_") },
          kernelMappings: [{ regexp: "^5\\.14\\.", containerImage: "quay.io/acme/" + name + ":${KERNEL_FULL_VERSION}" }],
        },
      },
      ...over,
    },
  };
}

const observed = (o: Partial<sut.Observed> = {}): sut.Observed => ({
  preflight: pfvo(),
  kernel: { kind: "known", kernel: KERNEL },
  modules: [],
  jobs: [],
  pods: [],
  events: [],
  creationFailures: new Map(),
  pendingCreates: new Set(),
  runningJobs: 0,
  configMaps: new Map(),
  ...o,
});

/** Plans, then applies the plan's status to the PFVO (what the runner writes), for chained steps. */
function step(o: sut.Observed, nowMs: number, config = CONFIG) {
  const plan = sut.planPreflight(o, nowMs, config);
  return { plan, next: { ...o.preflight, status: plan.status } as PreflightValidationOCP, entries: plan.status.modules ?? [] };
}

const entryOf = (p: sut.Plan, name: string) => p.status.modules?.find((e) => e.name === name);
const cond = (p: sut.Plan, type: string) => p.status.conditions?.find((c) => c.type === type);

/** The Job the plan created, as the API server stores it (uid, creation time), with the given outcome. */
function ran(job: Job, o: { createdMs: number; uid?: string; finished?: { ok: boolean; atMs: number; reason?: string } }): Job {
  const conditions = o.finished ? [{ type: o.finished.ok ? "Complete" : "Failed", status: "True", reason: o.finished.reason ?? (o.finished.ok ? "Completed" : "BackoffLimitExceeded"), lastTransitionTime: iso(o.finished.atMs) }] : [];
  return { ...job, metadata: { ...job.metadata, uid: o.uid ?? `${job.metadata.name}-uid`, creationTimestamp: iso(o.createdMs) }, status: { conditions } };
}

function podOf(job: Job, state: NonNullable<NonNullable<Pod["status"]>["containerStatuses"]>[number]["state"], o: { createdMs: number; phase?: string; conditions?: NonNullable<Pod["status"]>["conditions"] }): Pod {
  return {
    metadata: { name: `${job.metadata.name}-abcde`, namespace: job.metadata.namespace, uid: `${job.metadata.name}-pod-uid`, creationTimestamp: iso(o.createdMs), ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: job.metadata.name!, uid: job.metadata.uid! }] },
    status: { phase: o.phase ?? "Pending", ...(o.conditions && { conditions: o.conditions }), containerStatuses: [{ name: "check", state }] },
  };
}

const verdictMessage = (module: string, verdict: "true" | "false" | "error", reason: string, namespace = "drivers") =>
  terminationMessage({ kernel: KERNEL, results: [{ namespace, name: module, kernel: KERNEL, verificationStatus: verdict, reason }], errors: [] });

const terminated = (exitCode: number, message?: string, reason = exitCode === 0 ? "Completed" : "Error") => ({ terminated: { exitCode, reason, ...(message !== undefined && { message }) } });

describe("planPreflight()", () => {
  describe("given a fresh PreflightValidationOCP and the kernel known", () => {
    const { plan } = step(observed({ modules: [mod("gpu"), mod("nic", "net")] }), T0);

    it("creates one image-stage Job per Module, in the Module's namespace", () => {
      assert.deepEqual(plan.create.map((j) => `${j.metadata.namespace}/${j.spec.template.spec.containers[0]!.args![0]}`), ["drivers/check", "net/check"]);
      assert.ok(plan.create.every((j) => j.metadata.name!.length <= 63));
    });

    it("lists every Module as unknown at the image stage, with the kernel and counts", () => {
      assert.deepEqual(plan.status.modules!.map((e) => [e.namespace, e.name, e.verificationStage, e.verificationStatus]), [["drivers", "gpu", "image", "unknown"], ["net", "nic", "image", "unknown"]]);
      assert.match(entryOf(plan, "gpu")!.statusReason!, /^image stage starting: Job preflight-image-gpu-/);
      assert.equal(plan.status.kernelVersion, KERNEL);
      assert.deepEqual(plan.status.summary, { verified: 0, failed: 0, errors: 0, pending: 2 });
      assert.equal(plan.status.observedGeneration, 1);
    });

    it("is not Complete, and Verified is Unknown; a first unknown is no Event", () => {
      assert.equal(cond(plan, "Complete")!.status, "False");
      assert.equal(cond(plan, "Verified")!.status, "Unknown");
      assert.equal(cond(plan, "Complete")!.observedGeneration, 1);
      assert.deepEqual(plan.events, []);
      assert.equal(plan.statusChanged, true);
    });
  });

  describe("given the kernel is still being read", () => {
    it("lists Modules as waiting and starts nothing", () => {
      const { plan } = step(observed({ kernel: { kind: "pending" }, modules: [mod("gpu")] }), T0);
      assert.deepEqual(plan.create, []);
      assert.match(entryOf(plan, "gpu")!.statusReason!, /^waiting: reading the kernel of quay.io/);
      assert.equal(cond(plan, "Complete")!.reason, "KernelPending");
      assert.equal(plan.status.kernelVersion, undefined);
    });
  });

  describe("given the kernel cannot be read", () => {
    it("makes every Module error with the reason, and does not rewrite the status while nothing changes", () => {
      const o = observed({ kernel: { kind: "failed", reason: "cannot tell the kernel of the release: registry unreachable" }, modules: [mod("gpu"), mod("nic")] });
      const first = step(o, T0);
      assert.deepEqual(first.entries.map((e) => [e.verificationStatus, e.statusReason]), [["error", "cannot tell the kernel of the release: registry unreachable"], ["error", "cannot tell the kernel of the release: registry unreachable"]]);
      assert.equal(cond(first.plan, "Verified")!.status, "False");
      assert.deepEqual(first.plan.events.map((e) => [e.type, e.reason]), [["Warning", "ModuleCheckError"], ["Warning", "ModuleCheckError"]]);
      const again = step({ ...o, preflight: first.next }, T0 + 60_000);
      assert.equal(again.plan.statusChanged, false);
      assert.deepEqual(again.plan.events, []);
    });
  });

  describe("given a reason longer than MAX_STATUS_REASON_LENGTH", () => {
    it("cuts it to the cap, and the cut reason is no change on the next pass", () => {
      const o = observed({ kernel: { kind: "failed", reason: `cannot tell the kernel: ${"x".repeat(5000)}` }, modules: [mod("gpu")] });
      const first = step(o, T0);
      assert.equal(first.entries[0]!.statusReason!.length, MAX_STATUS_REASON_LENGTH);
      assert.ok(first.entries[0]!.statusReason!.endsWith("…"));
      assert.equal(step({ ...o, preflight: first.next }, T0 + 60_000).plan.statusChanged, false);
    });

    it("never cuts a character in half (a lone surrogate would come back from the API server as U+FFFD)", () => {
      const reason = `${"x".repeat(MAX_STATUS_REASON_LENGTH - 2)}${"\u{1F600}".repeat(10)}`;
      const { entries } = step(observed({ kernel: { kind: "failed", reason }, modules: [mod("gpu")] }), T0);
      assert.ok(entries[0]!.statusReason!.length <= MAX_STATUS_REASON_LENGTH);
      assert.doesNotMatch(entries[0]!.statusReason!, /[\uD800-\uDBFF](?![\uDC00-\uDFFF])/, "no high surrogate without its low half");
    });
  });

  describe("given Modules that need no Job", () => {
    it("fails a Module with no kernel mapping for the kernel, naming the kernel, without a Job", () => {
      const m = mod("old");
      m.spec.moduleLoader!.container.kernelMappings = [{ literal: "4.18.0-1.el8.x86_64", containerImage: "quay.io/acme/old:1" }];
      const { plan } = step(observed({ modules: [m] }), T0);
      assert.deepEqual(plan.create, []);
      const e = entryOf(plan, "old")!;
      assert.equal(e.verificationStatus, "false");
      assert.match(e.statusReason!, new RegExp(KERNEL.replace(/\./g, "\\.")));
      assert.deepEqual(plan.events.map((x) => [x.type, x.reason]), [["Warning", "ModuleFailed"]]);
      assert.equal(cond(plan, "Complete")!.status, "True");
      assert.equal(cond(plan, "Verified")!.reason, "ModulesFailed");
    });

    it("verifies a Module without a moduleLoader (nothing to load), without a Job", () => {
      const { plan } = step(observed({ modules: [mod("plugin-only", "drivers", { moduleLoader: undefined })] }), T0);
      assert.deepEqual(plan.create, []);
      assert.equal(entryOf(plan, "plugin-only")!.verificationStatus, "true");
      assert.equal(cond(plan, "Verified")!.status, "True");
    });
  });

  describe("given a Job that finished", () => {
    const start = step(observed({ modules: [mod("gpu")] }), T0);
    const job = (finished: { ok: boolean; atMs: number; reason?: string }) => ran(start.plan.create[0]!, { createdMs: T0 + 1000, finished });
    const after = (j: Job, state: Parameters<typeof podOf>[1], nowMs = T0 + 60_000) =>
      step(observed({ preflight: start.next, modules: [mod("gpu")], jobs: [j], pods: [podOf(j, state, { createdMs: T0 + 2000, phase: "Succeeded" })] }), nowMs);

    it("records a verified Module: true, with the time the Job finished, an Event, and both conditions True", () => {
      const j = job({ ok: true, atMs: T0 + 30_000 });
      const { plan } = after(j, terminated(0, verdictMessage("gpu", "true", "quay.io/acme/gpu:… holds /opt/lib/modules/…/gpu.ko")));
      const e = entryOf(plan, "gpu")!;
      assert.deepEqual([e.verificationStatus, e.lastCheckTime, e.lastTransitionTime], ["true", iso(T0 + 30_000), iso(T0 + 60_000)]);
      assert.match(e.statusReason!, /holds/);
      assert.deepEqual(plan.events.map((x) => [x.type, x.reason]), [["Normal", "ModuleVerified"]]);
      assert.deepEqual([cond(plan, "Complete")!.status, cond(plan, "Verified")!.status], ["True", "True"]);
      assert.deepEqual(plan.outcomes, [{ stage: "image", verdict: "true" }]);
      assert.deepEqual(plan.delete, [], "the finished Job is left to its TTL for debugging");
    });

    it("records a failed check with the check's reason, and looks again when the revalidation period ends", () => {
      const j = job({ ok: false, atMs: T0 + 30_000 });
      const { plan } = after(j, terminated(1, verdictMessage("gpu", "false", "image quay.io/acme/gpu:5.14 does not exist")));
      const e = entryOf(plan, "gpu")!;
      assert.deepEqual([e.verificationStatus, e.statusReason], ["false", "image quay.io/acme/gpu:5.14 does not exist"]);
      assert.deepEqual(plan.events.map((x) => [x.type, x.reason]), [["Warning", "ModuleFailed"]]);
      assert.equal(plan.requeueAfterMs, T0 + 30_000 + CONFIG.revalidateAfterMs - (T0 + 60_000));
    });

    it("reports a Job past its deadline as error, naming the deadline", () => {
      const j = job({ ok: false, atMs: T0 + 600_000, reason: "DeadlineExceeded" });
      const { plan } = after(j, { running: {} });
      assert.equal(entryOf(plan, "gpu")!.verificationStatus, "error");
      assert.match(entryOf(plan, "gpu")!.statusReason!, /did not finish within 600 s/);
      assert.equal(entryOf(plan, "gpu")!.consecutiveErrors, 1);
    });

    it("reports a check that crashed without a report as error, with its exit code", () => {
      const { plan } = after(job({ ok: false, atMs: T0 + 5000 }), terminated(139, "", "Error"));
      assert.equal(entryOf(plan, "gpu")!.verificationStatus, "error");
      assert.match(entryOf(plan, "gpu")!.statusReason!, /exited with code 139/);
    });

    it("does not count the same finished Job twice", () => {
      const j = job({ ok: false, atMs: T0 + 5000 });
      const pods = [podOf(j, terminated(2, verdictMessage("gpu", "error", "registry answered 503")), { createdMs: T0 + 2000 })];
      const first = step(observed({ preflight: start.next, modules: [mod("gpu")], jobs: [j], pods }), T0 + 6000);
      const again = step(observed({ preflight: first.next, modules: [mod("gpu")], jobs: [j], pods }), T0 + 7000);
      assert.equal(entryOf(again.plan, "gpu")!.consecutiveErrors, 1);
      assert.equal(again.plan.statusChanged, false);
      assert.deepEqual(again.plan.outcomes, []);
      assert.deepEqual(again.plan.events, []);
    });
  });

  describe("given a Job whose Pod cannot start", () => {
    const start = step(observed({ modules: [mod("gpu", "drivers", { imageRepoSecret: { name: "missing" } })] }), T0);
    const j = ran(start.plan.create[0]!, { createdMs: T0 });
    const withPod = (state: Parameters<typeof podOf>[1], nowMs: number, events: KubeEvent[] = [], conditions?: NonNullable<Pod["status"]>["conditions"]) =>
      step(observed({ preflight: start.next, modules: [mod("gpu", "drivers", { imageRepoSecret: { name: "missing" } })], jobs: [j], pods: [podOf(j, state, { createdMs: T0, ...(conditions && { conditions }) })], events }), nowMs);

    it("waits out a short image pull problem, and looks again when the grace period ends", () => {
      const { plan } = withPod({ waiting: { reason: "ErrImagePull", message: "pull access denied" } }, T0 + 10_000);
      assert.equal(entryOf(plan, "gpu")!.verificationStatus, "unknown");
      assert.equal(plan.requeueAfterMs, 20_000);
    });

    it("reports an image pull failure as error with the kubelet's reason within the grace period, and deletes the Job", () => {
      const { plan } = withPod({ waiting: { reason: "ImagePullBackOff", message: 'Back-off pulling image "quay.io/kmm/kmm-preflight:1.0"' } }, T0 + 31_000);
      const e = entryOf(plan, "gpu")!;
      assert.equal(e.verificationStatus, "error");
      assert.match(e.statusReason!, /ImagePullBackOff: Back-off pulling image/);
      assert.deepEqual(plan.delete.map((d) => [d.name, d.uid]), [[j.metadata.name, j.metadata.uid]]);
    });

    it("reports a missing Secret from the kubelet's FailedMount Event", () => {
      const ev: KubeEvent = {
        metadata: { name: "x.1", namespace: "drivers" },
        involvedObject: { kind: "Pod", name: `${j.metadata.name}-abcde`, namespace: "drivers", uid: `${j.metadata.name}-pod-uid` },
        type: "Warning",
        reason: "FailedMount",
        message: 'MountVolume.SetUp failed for volume "pull-secret" : secret "missing" not found',
        lastTimestamp: iso(T0 + 5000),
      };
      const { plan } = withPod({ waiting: { reason: "ContainerCreating" } }, T0 + 40_000, [ev]);
      assert.equal(entryOf(plan, "gpu")!.verificationStatus, "error");
      assert.match(entryOf(plan, "gpu")!.statusReason!, /FailedMount: MountVolume.SetUp failed for volume "pull-secret" : secret "missing" not found/);
    });

    it("reports an unschedulable Pod with the scheduler's message", () => {
      const { plan } = withPod({ waiting: { reason: "ContainerCreating" } }, T0 + 40_000, [], [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/3 nodes are available: 3 Insufficient memory." }]);
      assert.match(entryOf(plan, "gpu")!.statusReason!, /cannot be scheduled: 0\/3 nodes are available/);
    });
  });

  describe("given a Module that changes", () => {
    const m1 = mod("gpu");
    const start = step(observed({ modules: [m1] }), T0);
    const oldJob = ran(start.plan.create[0]!, { createdMs: T0, finished: { ok: true, atMs: T0 + 10_000 } });
    const verified = step(observed({ preflight: start.next, modules: [m1], jobs: [oldJob], pods: [podOf(oldJob, terminated(0, verdictMessage("gpu", "true", "ok")), { createdMs: T0 })] }), T0 + 20_000);
    const m2 = mod("gpu");
    m2.spec.moduleLoader!.container.kernelMappings[0]!.containerImage = "quay.io/acme/gpu-v2:${KERNEL_FULL_VERSION}";

    it("after true: validates it again from the image stage, deletes the old Job, and records the transition", () => {
      const { plan } = step(observed({ preflight: verified.next, modules: [m2], jobs: [oldJob] }), T0 + 30_000);
      assert.equal(plan.create.length, 1);
      assert.notEqual(plan.create[0]!.metadata.name, oldJob.metadata.name);
      assert.deepEqual(plan.delete.map((d) => d.name), [oldJob.metadata.name]);
      const e = entryOf(plan, "gpu")!;
      assert.deepEqual([e.verificationStatus, e.lastTransitionTime], ["unknown", iso(T0 + 30_000)]);
      assert.deepEqual(plan.events.map((x) => x.reason), ["ModuleChecking"]);
    });

    it("a verified Module is never checked again while its spec stays the same, Job gone or not", () => {
      const { plan } = step(observed({ preflight: verified.next, modules: [m1] }), T0 + 10 * 86_400_000);
      assert.deepEqual(plan.create, []);
      assert.equal(plan.statusChanged, false);
      assert.equal(plan.requeueAfterMs, undefined);
    });

    it("after false: validates the changed Module at once, before the revalidation period", () => {
      const failedJob = ran(start.plan.create[0]!, { createdMs: T0, finished: { ok: false, atMs: T0 + 10_000 } });
      const failed = step(observed({ preflight: start.next, modules: [m1], jobs: [failedJob], pods: [podOf(failedJob, terminated(1, verdictMessage("gpu", "false", "no module")), { createdMs: T0 })] }), T0 + 20_000);
      assert.equal(failed.entries[0]!.verificationStatus, "false");
      const { plan } = step(observed({ preflight: failed.next, modules: [m2], jobs: [failedJob] }), T0 + 21_000);
      assert.equal(plan.create.length, 1);
      assert.deepEqual(plan.delete.map((d) => d.why), ["its Module was deleted or changed"]);
    });

    it("keeps lastTransitionTime when only the reason changes", () => {
      const noMapping = (lit: string) => {
        const m = mod("old");
        m.spec.moduleLoader!.container.kernelMappings = [{ literal: lit, containerImage: "quay.io/acme/old:1" }];
        return m;
      };
      const first = step(observed({ modules: [noMapping("4.18.0-1.el8.x86_64")] }), T0);
      const second = step(observed({ preflight: first.next, modules: [noMapping("4.18.0-2.el8.x86_64")] }), T0 + 60_000);
      assert.equal(entryOf(second.plan, "old")!.lastTransitionTime, iso(T0));
      assert.deepEqual(second.plan.events, []);
    });
  });

  describe("given the revalidation period of a false Module", () => {
    const start = step(observed({ modules: [mod("gpu")] }), T0);
    const j = ran(start.plan.create[0]!, { createdMs: T0, finished: { ok: false, atMs: T0 + 10_000 } });
    const pods = [podOf(j, terminated(1, verdictMessage("gpu", "false", "no module")), { createdMs: T0 })];
    const failed = step(observed({ preflight: start.next, modules: [mod("gpu")], jobs: [j], pods }), T0 + 20_000);

    it("deletes the finished Job once it has passed, then starts a new one, keeping the verdict meanwhile", () => {
      const due = step(observed({ preflight: failed.next, modules: [mod("gpu")], jobs: [j], pods }), T0 + 10_000 + CONFIG.revalidateAfterMs);
      assert.deepEqual(due.plan.delete.map((d) => d.name), [j.metadata.name]);
      const gone = step(observed({ preflight: due.next, modules: [mod("gpu")] }), T0 + 11_000 + CONFIG.revalidateAfterMs);
      assert.deepEqual(gone.plan.create.map((c) => c.metadata.name), [j.metadata.name]);
      assert.equal(entryOf(gone.plan, "gpu")!.verificationStatus, "false");
      assert.equal(entryOf(gone.plan, "gpu")!.lastTransitionTime, failed.entries[0]!.lastTransitionTime);
    });
  });

  describe("given a Module in error", () => {
    const entry = (consecutiveErrors: number): PreflightModuleStatus => ({
      namespace: "drivers", name: "gpu", verificationStage: "image", verificationStatus: "error", statusReason: "registry down",
      lastTransitionTime: iso(T0), lastCheckTime: iso(T0), consecutiveErrors, specHash: step(observed({ modules: [mod("gpu")] }), T0).entries[0]!.specHash!,
    });

    it("retries after a backoff that doubles with each error in a row, capped", () => {
      for (const [errors, delay] of [[1, 10_000], [2, 20_000], [3, 40_000], [10, 300_000]] as const) {
        const before = step(observed({ preflight: pfvo([entry(errors)]), modules: [mod("gpu")] }), T0 + delay - 1);
        assert.deepEqual(before.plan.create, [], `${errors} errors: not before ${delay} ms`);
        assert.equal(before.plan.requeueAfterMs, 1);
        const at = step(observed({ preflight: pfvo([entry(errors)]), modules: [mod("gpu")] }), T0 + delay);
        assert.equal(at.plan.create.length, 1, `${errors} errors: retried at ${delay} ms`);
      }
    });

    it("resets the backoff when the Module changes", () => {
      const m = mod("gpu");
      m.spec.moduleLoader!.container.modprobe.moduleName = "gpu_v2";
      const { plan } = step(observed({ preflight: pfvo([entry(10)]), modules: [m] }), T0 + 1);
      assert.equal(plan.create.length, 1);
    });

    it("a Job the API server refuses to create is an error with its message", () => {
      const start = step(observed({ modules: [mod("gpu")] }), T0);
      const key = `drivers/${start.plan.create[0]!.metadata.name}`;
      const { plan } = step(observed({ preflight: start.next, modules: [mod("gpu")], creationFailures: new Map([[key, { message: 'HTTP 403: jobs.batch is forbidden: exceeded quota: compute', at: iso(T0 + 1000) }]]) }), T0 + 2000);
      const e = entryOf(plan, "gpu")!;
      assert.equal(e.verificationStatus, "error");
      assert.match(e.statusReason!, /cannot create the image-stage Job: .*exceeded quota/);
      assert.deepEqual(plan.create, []);
    });

    it("creates a refused Job again once the error backoff has passed, and counts a second refusal as a second error", () => {
      const start = step(observed({ modules: [mod("gpu")] }), T0);
      const key = `drivers/${start.plan.create[0]!.metadata.name}`;
      const refusedAt = (ms: number) => new Map([[key, { message: "HTTP 403: exceeded quota: compute", at: iso(ms) }]]);
      const refused = step(observed({ preflight: start.next, modules: [mod("gpu")], creationFailures: refusedAt(T0 + 1000) }), T0 + 2000);
      assert.equal(refused.plan.requeueAfterMs, T0 + 1000 + 10_000 - (T0 + 2000));
      const before = step(observed({ preflight: refused.next, modules: [mod("gpu")], creationFailures: refusedAt(T0 + 1000) }), T0 + 1000 + 10_000 - 1);
      assert.deepEqual(before.plan.create, []);
      const due = step(observed({ preflight: refused.next, modules: [mod("gpu")], creationFailures: refusedAt(T0 + 1000) }), T0 + 1000 + 10_000);
      assert.deepEqual(due.plan.create.map((j) => j.metadata.name), [start.plan.create[0]!.metadata.name]);
      const again = step(observed({ preflight: due.next, modules: [mod("gpu")], creationFailures: refusedAt(T0 + 11_000) }), T0 + 12_000);
      assert.deepEqual([entryOf(again.plan, "gpu")!.verificationStatus, entryOf(again.plan, "gpu")!.consecutiveErrors], ["error", 2]);
      assert.equal(again.plan.requeueAfterMs, T0 + 11_000 + 20_000 - (T0 + 12_000));
    });
  });

  describe("given the cap on running Jobs", () => {
    it("starts only as many as the cap leaves, never-checked Modules first, and says why the others wait", () => {
      const modules = [mod("a"), mod("b"), mod("c")];
      const { plan } = step(observed({ modules, runningJobs: 1 }), T0, { ...CONFIG, maxRunningJobs: 2 });
      assert.equal(plan.create.length, 1);
      const waiting = plan.status.modules!.filter((e) => e.statusReason!.startsWith("waiting:"));
      assert.equal(waiting.length, 2);
      assert.equal(waiting[0]!.statusReason, "waiting: 2 Jobs running (cap 2)");
    });

    it("starts no more than this PreflightValidationOCP's share of the cap while others wait on it, and counts who waits", () => {
      const modules = [mod("a"), mod("b"), mod("c"), mod("d")];
      const { plan } = step(observed({ modules, runningJobs: 3, capShare: { jobs: 5, running: 3, others: 3 } }), T0, { ...CONFIG, maxRunningJobs: 20 });
      assert.equal(plan.create.length, 2, "5 of the 20 slots are this one's, 3 of them taken");
      assert.equal(plan.waitingOnCap, 2);
      assert.equal(entryOf(plan, "d")!.statusReason, "waiting: 5 Jobs running (cap 20; 5 for this PreflightValidationOCP while 3 others wait)");
      const alone = step(observed({ modules, runningJobs: 3 }), T0, { ...CONFIG, maxRunningJobs: 20 });
      assert.deepEqual([alone.plan.create.length, alone.plan.waitingOnCap], [4, 0]);
    });

    it("does not create a Job again that was created and not yet seen", () => {
      const start = step(observed({ modules: [mod("gpu")] }), T0);
      const key = `drivers/${start.plan.create[0]!.metadata.name}`;
      const { plan } = step(observed({ preflight: start.next, modules: [mod("gpu")], pendingCreates: new Set([key]), runningJobs: 1 }), T0 + 10);
      assert.deepEqual(plan.create, []);
      assert.equal(plan.statusChanged, false);
    });
  });

  describe("given a Module deleted", () => {
    it("drops its entry and deletes its Job", () => {
      const start = step(observed({ modules: [mod("gpu"), mod("nic")] }), T0);
      const j = ran(start.plan.create[0]!, { createdMs: T0 });
      const { plan } = step(observed({ preflight: start.next, modules: [mod("nic")], jobs: [j] }), T0 + 1000);
      assert.deepEqual(plan.status.modules!.map((e) => e.name), ["nic"]);
      assert.deepEqual(plan.delete.map((d) => [d.name, d.why]), [[j.metadata.name, "its Module was deleted or changed"]]);
    });
  });

  describe("given a Module being deleted (its namespace is terminating, or a finalizer holds it)", () => {
    it("drops its entry, deletes its Job and starts none", () => {
      const start = step(observed({ modules: [mod("gpu"), mod("nic")] }), T0);
      const j = ran(start.plan.create[0]!, { createdMs: T0 });
      const going = { ...mod("gpu"), metadata: { ...mod("gpu").metadata, deletionTimestamp: iso(T0 + 500) } };
      const { plan } = step(observed({ preflight: start.next, modules: [going, mod("nic")], jobs: [j] }), T0 + 1000);
      assert.deepEqual(plan.status.modules!.map((e) => e.name), ["nic"]);
      assert.deepEqual(plan.delete.map((d) => d.name), [j.metadata.name]);
      assert.ok(plan.create.every((c) => c.metadata.labels!["kmm.node.kubernetes.io/module.name"] !== "gpu"));
    });
  });

  describe("given a running Job deleted by hand", () => {
    it("creates it again at once under the same name, the Module still unknown", () => {
      const start = step(observed({ modules: [mod("gpu")] }), T0);
      const j = ran(start.plan.create[0]!, { createdMs: T0 });
      const running = step(observed({ preflight: start.next, modules: [mod("gpu")], jobs: [j], runningJobs: 1 }), T0 + 1000);
      const { plan } = step(observed({ preflight: running.next, modules: [mod("gpu")] }), T0 + 2000);
      assert.deepEqual(plan.create.map((c) => c.metadata.name), [j.metadata.name]);
      assert.equal(entryOf(plan, "gpu")!.verificationStatus, "unknown");
      assert.deepEqual(plan.events, []);
    });
  });

  // A Module comes from KMM's CRD, not ours: an old or schemaless CRD lets any shape through. One the
  // plan cannot read must cost only its own entry, never every PFVO's status (each plans every Module).
  describe("given a Module the plan cannot read", () => {
    const unreadable = () => {
      const m = mod("broken");
      Object.defineProperty(m.spec, "moduleLoader", { enumerable: true, get: () => { throw new TypeError("boom"); } });
      return m;
    };

    it("plans every other Module, and reports that one as an error naming what went wrong", () => {
      const { plan } = step(observed({ modules: [mod("gpu"), unreadable(), mod("nic", "net")] }), T0);
      assert.deepEqual(plan.create.map((j) => j.metadata.namespace), ["drivers", "net"]);
      assert.deepEqual(plan.status.modules!.map((e) => [e.name, e.verificationStatus]), [["broken", "error"], ["gpu", "unknown"], ["nic", "unknown"]]);
      assert.match(entryOf(plan, "broken")!.statusReason!, /boom/);
      assert.match(entryOf(plan, "broken")!.statusReason!, /kmm-preflight validate/);
    });

    it("keeps its error entry as it is on the next pass (no status write per pass)", () => {
      const first = step(observed({ modules: [unreadable()] }), T0);
      const second = step(observed({ preflight: first.next, modules: [unreadable()] }), T0 + 60_000);
      assert.deepEqual(second.plan.status.modules, first.plan.status.modules);
      assert.equal(second.plan.statusChanged, false);
    });
  });

  describe("given status written by others", () => {
    it("keeps conditions of other types and fields it does not own; moves its conditions' times only on a status change", () => {
      const other = { type: "Approved", status: "True" as const, reason: "ByHuman", message: "ok", lastTransitionTime: iso(T0 - 1000) };
      const pf = pfvo(undefined, { conditions: [other] });
      (pf.status as Record<string, unknown>)["note"] = "written by another tool";
      const first = step(observed({ preflight: pf, modules: [mod("gpu")] }), T0);
      assert.deepEqual(first.plan.status.conditions!.find((c) => c.type === "Approved"), other);
      assert.equal((first.plan.status as Record<string, unknown>)["note"], "written by another tool");
      const second = step(observed({ preflight: first.next, modules: [mod("gpu"), mod("nic")] }), T0 + 5000);
      assert.equal(cond(second.plan, "Complete")!.lastTransitionTime, iso(T0));
    });
  });

  describe("given thousands of Modules", () => {
    it("lists every one, keeping the status under its byte budget by shortening reasons", () => {
      const modules = Array.from({ length: 5000 }, (_, i) => {
        const m = mod(`module-${String(i).padStart(4, "0")}`, `ns-${i % 50}`);
        m.spec.moduleLoader!.container.kernelMappings = [{ literal: "4.18.0-1.el8.x86_64", containerImage: "quay.io/acme/x:1" }];
        return m;
      });
      const { plan } = step(observed({ modules }), T0);
      assert.equal(plan.status.modules!.length, 5000);
      assert.ok(Buffer.byteLength(JSON.stringify(plan.status.modules)) <= 1400 * 1024, `${Buffer.byteLength(JSON.stringify(plan.status.modules))} bytes`);
      assert.ok(plan.status.modules!.every((e) => e.verificationStatus === "false" && e.statusReason!.length <= 256));
      const again = step(observed({ preflight: { ...pfvo(), status: plan.status }, modules }), T0 + 60_000);
      assert.equal(again.plan.statusChanged, false, "a reason shortened to fit is not a change: no 1.4 MB write per pass");
    });
  });

  describe("given more Modules than status.modules may list", () => {
    it("lists MAX_STATUS_MODULES, and the conditions and summary still count every Module: one failing beyond the list is not Verified", () => {
      const modules = Array.from({ length: MAX_STATUS_MODULES }, (_, i) => mod(`ok-${String(i).padStart(4, "0")}`, "drivers", { moduleLoader: undefined }));
      const late = mod("zz-late");
      late.spec.moduleLoader!.container.kernelMappings = [{ literal: "4.18.0-1.el8.x86_64", containerImage: "quay.io/acme/x:1" }];
      const { plan } = step(observed({ modules: [...modules, late] }), T0);
      assert.equal(plan.status.modules!.length, MAX_STATUS_MODULES);
      assert.equal(entryOf(plan, "zz-late"), undefined);
      assert.deepEqual(plan.status.summary, { verified: MAX_STATUS_MODULES, failed: 1, errors: 0, pending: 0 });
      assert.deepEqual([cond(plan, "Complete")!.status, cond(plan, "Verified")!.status], ["True", "False"]);
      assert.match(cond(plan, "Verified")!.message!, /drivers\/zz-late/);
    });
  });

  describe("given a plan applied", () => {
    it("plans nothing more when nothing changed (idempotent)", () => {
      const start = step(observed({ modules: [mod("gpu")] }), T0);
      const j = ran(start.plan.create[0]!, { createdMs: T0 });
      const running = step(observed({ preflight: start.next, modules: [mod("gpu")], jobs: [j], runningJobs: 1 }), T0 + 1000);
      const again = step(observed({ preflight: running.next, modules: [mod("gpu")], jobs: [j], runningJobs: 1 }), T0 + 2000);
      assert.equal(again.plan.statusChanged, false);
      assert.deepEqual([again.plan.create, again.plan.delete, again.plan.events], [[], [], []]);
    });
  });
});

describe("planPreflight() through the build and sign stages", () => {
  const dockerfile = "FROM registry.example.com/base:9\nARG KERNEL_VERSION\nCOPY gpu.ko /opt/lib/modules/${KERNEL_VERSION}/extra/\nRUN depmod -b /opt ${KERNEL_VERSION}\n";
  const cms = (data: Record<string, string> | "missing" = { dockerfile }) => new Map([["drivers/gpu-build", data === "missing" ? ("missing" as const) : { data }]]);
  const withStages = (o: { build?: boolean; sign?: boolean; unsigned?: boolean } = {}) => {
    const m = mod("gpu");
    const c = m.spec.moduleLoader!.container;
    if (o.build !== false) c.build = { dockerfileConfigMap: { name: "gpu-build" }, buildArgs: [{ name: "EXTRA", value: "1" }] };
    if (o.sign) c.sign = { keySecret: { name: "sign-key" }, certSecret: { name: "sign-cert" }, filesToSign: ["/opt/lib/modules/${KERNEL_FULL_VERSION}/extra/gpu.ko"], ...(o.unsigned && { unsignedImage: "quay.io/acme/gpu-unsigned:${KERNEL_FULL_VERSION}" }) };
    return m;
  };
  const pushing = (p: PreflightValidationOCP) => ({ ...p, spec: { ...p.spec, pushBuiltImage: true } });
  const finishedJob = (job: Job, ok: boolean, atMs: number) => ran(job, { createdMs: atMs - 5000, finished: { ok, atMs } });
  const buildPod = (job: Job, failed?: { container: string; exitCode: number; message: string }) =>
    podOf(job, failed ? { terminated: { exitCode: failed.exitCode, reason: "Error", message: failed.message } } : terminated(0, "", "Completed"), { createdMs: T0 });

  /** Runs the image stage to `false` and returns the plan that follows. */
  function afterImageFails(m: Module, pf: PreflightValidationOCP, configMaps = cms()) {
    const start = step(observed({ preflight: pf, modules: [m], configMaps }), T0);
    const image = finishedJob(start.plan.create[0]!, false, T0 + 10_000);
    const imagePods = [podOf(image, terminated(1, verdictMessage("gpu", "false", "image quay.io/acme/gpu:5.14 does not exist")), { createdMs: T0 })];
    const next = step(observed({ preflight: start.next, modules: [m], jobs: [image], pods: imagePods, configMaps }), T0 + 20_000);
    return { image, imagePods, ...next };
  }

  it("starts the build when the image stage fails and a build section applies, carrying the image stage's reason", () => {
    const { plan } = afterImageFails(withStages(), pfvo());
    assert.deepEqual(plan.create.map((j) => j.metadata.labels!["kmm.node.kubernetes.io/job-type"]), ["build"]);
    const e = entryOf(plan, "gpu")!;
    assert.deepEqual([e.verificationStage, e.verificationStatus], ["build", "unknown"]);
    assert.match(e.statusReason!, /build stage starting: Job preflight-build-gpu-\w+ \(the image stage: image quay.io\/acme\/gpu:5.14 does not exist\)/);
    const build = plan.create[0]!.spec.template.spec.containers[0]!;
    assert.equal(build.name, "build", "no push container without pushBuiltImage");
    assert.ok(build.args!.includes(`--build-arg=KERNEL_VERSION=${KERNEL}`) && build.args!.includes("--build-arg=EXTRA=1"));
  });

  it("asks to read the build ConfigMap first, and fails the build stage without a Job when it is missing or has no dockerfile key", () => {
    const unread = afterImageFails(withStages(), pfvo(), new Map());
    assert.deepEqual(unread.plan.fetch, [{ namespace: "drivers", name: "gpu-build" }]);
    assert.deepEqual(unread.plan.create, []);
    for (const [cm, pattern] of [["missing", /ConfigMap drivers\/gpu-build .* does not exist/], [{ other: "x" }, /has no "dockerfile" key/]] as const) {
      const { plan } = afterImageFails(withStages(), pfvo(), cms(cm));
      const e = entryOf(plan, "gpu")!;
      assert.deepEqual([e.verificationStage, e.verificationStatus, plan.create.length], ["build", "false", 0]);
      assert.match(e.statusReason!, pattern);
    }
  });

  it("reads the build ConfigMap only to start a build or to record its verdict, never again for a Module whose build verdict is recorded", () => {
    const after = afterImageFails(withStages(), pfvo());
    const build = finishedJob(after.plan.create[0]!, false, T0 + 60_000);
    const jobs = [after.image, build];
    const pods = [...after.imagePods, buildPod(build, { container: "build", exitCode: 1, message: "boom" })];
    const running = step(observed({ preflight: after.next, modules: [withStages()], jobs: [after.image, ran(after.plan.create[0]!, { createdMs: T0 + 25_000 })], pods: after.imagePods }), T0 + 30_000);
    assert.deepEqual(running.plan.fetch, [], "a running build needs no ConfigMap");
    const unread = step(observed({ preflight: after.next, modules: [withStages()], jobs, pods }), T0 + 70_000);
    assert.deepEqual(unread.plan.fetch, [{ namespace: "drivers", name: "gpu-build" }], "read once, to record the verdict with its warnings");
    const failed = step(observed({ preflight: after.next, modules: [withStages()], jobs, pods, configMaps: cms() }), T0 + 70_000);
    assert.equal(entryOf(failed.plan, "gpu")!.verificationStatus, "false");
    const later = step(observed({ preflight: failed.next, modules: [withStages()], jobs, pods }), T0 + 200_000);
    assert.deepEqual(later.plan.fetch, [], "no API request per pass for a recorded build verdict");
    assert.equal(later.plan.statusChanged, false);
  });

  it("does not read a missing build ConfigMap again before the revalidation of the false it gave", () => {
    const after = afterImageFails(withStages(), pfvo(), cms("missing"));
    assert.equal(entryOf(after.plan, "gpu")!.verificationStatus, "false");
    const later = step(observed({ preflight: after.next, modules: [withStages()], jobs: [after.image], pods: after.imagePods }), T0 + 200_000);
    assert.deepEqual([later.plan.fetch, later.plan.statusChanged], [[], false]);
    assert.equal(later.plan.requeueAfterMs, T0 + 20_000 + CONFIG.revalidateAfterMs - (T0 + 200_000));
    const due = step(observed({ preflight: after.next, modules: [withStages()], jobs: [after.image], pods: after.imagePods }), T0 + 20_000 + CONFIG.revalidateAfterMs);
    assert.deepEqual(due.plan.fetch, [{ namespace: "drivers", name: "gpu-build" }]);
  });

  it("makes the Module true when the build succeeds and no sign section applies, warning about a depmod without a kernel version", () => {
    const badDockerfile = "FROM base\nRUN depmod -a\n";
    const after = afterImageFails(withStages(), pfvo(), cms({ dockerfile: badDockerfile }));
    const build = finishedJob(after.plan.create[0]!, true, T0 + 60_000);
    const { plan } = step(observed({ preflight: after.next, modules: [withStages()], jobs: [after.image, build], pods: [...after.imagePods, buildPod(build)], configMaps: cms({ dockerfile: badDockerfile }) }), T0 + 70_000);
    const e = entryOf(plan, "gpu")!;
    assert.deepEqual([e.verificationStage, e.verificationStatus], ["build", "true"]);
    assert.match(e.statusReason!, /the build succeeded; warning: the Dockerfile runs depmod without a kernel version \(RUN depmod -a\)/);
    assert.deepEqual(plan.outcomes, [{ stage: "build", verdict: "true" }]);
  });

  it("fails at the build stage with the build's log when it fails", () => {
    const after = afterImageFails(withStages(), pfvo());
    const build = finishedJob(after.plan.create[0]!, false, T0 + 60_000);
    const { plan } = step(observed({ preflight: after.next, modules: [withStages()], jobs: [after.image, build], pods: [...after.imagePods, buildPod(build, { container: "build", exitCode: 1, message: "error building at STEP \"RUN make\": exit status 2" })], configMaps: cms() }), T0 + 70_000);
    const e = entryOf(plan, "gpu")!;
    assert.deepEqual([e.verificationStage, e.verificationStatus], ["build", "false"]);
    assert.match(e.statusReason!, /the build failed \(exit code 1\): error building at STEP "RUN make": exit status 2/);
  });

  it("with a sign section and pushBuiltImage, builds into a temporary image and then signs it into the containerImage", () => {
    const m = withStages({ sign: true });
    const after = afterImageFails(m, pushing(pfvo()));
    const buildJob = after.plan.create[0]!;
    const push = buildJob.spec.template.spec.containers[0]!;
    assert.equal(push.name, "push");
    assert.equal(buildJob.spec.template.spec.initContainers![0]!.name, "build");
    const temporary = push.args!.at(-2)!;
    assert.match(temporary, /^quay\.io\/acme\/gpu:preflight-unsigned-[0-9a-f]{16}$/);
    const build = finishedJob(buildJob, true, T0 + 60_000);
    const { plan } = step(observed({ preflight: after.next, modules: [m], jobs: [after.image, build], pods: [...after.imagePods, buildPod(build)], configMaps: cms() }), T0 + 70_000);
    assert.deepEqual(plan.create.map((j) => j.metadata.labels!["kmm.node.kubernetes.io/job-type"]), ["sign"]);
    const args = plan.create[0]!.spec.template.spec.containers[0]!.args!;
    assert.equal(args[0], "sign");
    assert.ok(args.includes(`--unsigned-image=${temporary}`) && args.includes(`--output-image=quay.io/acme/gpu:${KERNEL}`) && args.includes("--push"), args.join(" "));
    assert.deepEqual([entryOf(plan, "gpu")!.verificationStage, entryOf(plan, "gpu")!.verificationStatus], ["sign", "unknown"]);
    const volumes = plan.create[0]!.spec.template.spec.volumes!.map((v) => v.secret?.secretName).filter(Boolean);
    assert.deepEqual(volumes, ["sign-key", "sign-cert"], "the key and certificate are mounted in the sign Job only");
    assert.ok(!JSON.stringify(buildJob).includes("sign-key"), "never in the build Job");
  });

  it("keeps the depmod warning of a build that a sign stage follows in the Module's final reason", () => {
    const m = withStages({ sign: true });
    const bad = cms({ dockerfile: "FROM base\nRUN depmod -a\n" });
    const after = afterImageFails(m, pushing(pfvo()), bad);
    const build = finishedJob(after.plan.create[0]!, true, T0 + 60_000);
    const signing = step(observed({ preflight: after.next, modules: [m], jobs: [after.image, build], pods: [...after.imagePods, buildPod(build)], configMaps: bad }), T0 + 70_000);
    const sign = finishedJob(signing.plan.create[0]!, true, T0 + 90_000);
    const signPods = [podOf(sign, terminated(0, verdictMessage("gpu", "true", "signed /opt/lib/modules/…/gpu.ko; pushed")), { createdMs: T0 })];
    const { plan } = step(observed({ preflight: signing.next, modules: [m], jobs: [after.image, build, sign], pods: [...after.imagePods, buildPod(build), ...signPods], configMaps: bad }), T0 + 100_000);
    const e = entryOf(plan, "gpu")!;
    assert.deepEqual([e.verificationStage, e.verificationStatus], ["sign", "true"]);
    assert.match(e.statusReason!, /^signed .*; warning: the Dockerfile runs depmod without a kernel version \(RUN depmod -a\)/);
  });

  it("with a build and a sign section but no pushBuiltImage, fails at the sign stage telling the user to set it", () => {
    const m = withStages({ sign: true });
    const after = afterImageFails(m, pfvo());
    const build = finishedJob(after.plan.create[0]!, true, T0 + 60_000);
    const { plan } = step(observed({ preflight: after.next, modules: [m], jobs: [after.image, build], pods: [...after.imagePods, buildPod(build)], configMaps: cms() }), T0 + 70_000);
    const e = entryOf(plan, "gpu")!;
    assert.deepEqual([e.verificationStage, e.verificationStatus, plan.create.length], ["sign", "false", 0]);
    assert.match(e.statusReason!, /spec\.pushBuiltImage: true/);
  });

  it("after pushBuiltImage is turned on, builds again with a push before signing: a build that did not push left no image to sign", () => {
    const m = withStages({ sign: true });
    const after = afterImageFails(m, pfvo());
    const build = finishedJob(after.plan.create[0]!, true, T0 + 60_000);
    const jobs = [after.image, build];
    const pods = [...after.imagePods, buildPod(build)];
    const signFalse = step(observed({ preflight: after.next, modules: [m], jobs, pods, configMaps: cms() }), T0 + 70_000);
    assert.equal(entryOf(signFalse.plan, "gpu")!.verificationStage, "sign");
    const { plan } = step(observed({ preflight: pushing(signFalse.next), modules: [m], jobs, pods, configMaps: cms() }), T0 + 70_000 + CONFIG.revalidateAfterMs);
    assert.deepEqual(plan.create.map((j) => [j.metadata.labels!["kmm.node.kubernetes.io/job-type"], j.spec.template.spec.containers[0]!.name]), [["build", "push"]]);
    assert.deepEqual(plan.delete.map((d) => d.name), [build.metadata.name]);
  });

  it("without a build section, signs sign.unsignedImage after the image stage fails, and a signed image makes the Module true", () => {
    const m = withStages({ build: false, sign: true, unsigned: true });
    const after = afterImageFails(m, pfvo());
    const args = after.plan.create[0]!.spec.template.spec.containers[0]!.args!;
    assert.ok(args.includes(`--unsigned-image=quay.io/acme/gpu-unsigned:${KERNEL}`) && !args.includes("--push"), args.join(" "));
    const sign = finishedJob(after.plan.create[0]!, true, T0 + 60_000);
    const signPods = [podOf(sign, terminated(0, verdictMessage("gpu", "true", "signed /opt/lib/modules/…/gpu.ko; not pushed (pushBuiltImage is false)")), { createdMs: T0 })];
    const { plan } = step(observed({ preflight: after.next, modules: [m], jobs: [after.image, sign], pods: [...after.imagePods, ...signPods] }), T0 + 70_000);
    const e = entryOf(plan, "gpu")!;
    assert.deepEqual([e.verificationStage, e.verificationStatus], ["sign", "true"]);
    assert.deepEqual(plan.events.map((x) => x.reason), ["ModuleVerified"]);
  });

  it("a sign key or certificate Secret the Pod cannot mount is false at the sign stage, naming the Secret (issue 15), not an error", () => {
    const m = withStages({ build: false, sign: true, unsigned: true });
    const after = afterImageFails(m, pfvo());
    const sign = ran(after.plan.create[0]!, { createdMs: T0 + 20_000 });
    const pod: Pod = { ...podOf(sign, { waiting: { reason: "ContainerCreating" } }, { createdMs: T0 + 21_000 }) };
    const failedMount = (volume: string, message: string): KubeEvent => ({
      metadata: { name: "m.1", namespace: "drivers" },
      involvedObject: { kind: "Pod", name: pod.metadata.name!, namespace: "drivers", uid: pod.metadata.uid! },
      type: "Warning", reason: "FailedMount", message: `MountVolume.SetUp failed for volume "${volume}" : ${message}`, lastTimestamp: iso(T0 + 22_000),
    });
    for (const ev of [failedMount("sign-key", 'secret "sign-key" not found'), failedMount("sign-cert", "references non-existent secret key: cert")]) {
      const { plan } = step(observed({ preflight: after.next, modules: [m], jobs: [after.image, sign], pods: [...after.imagePods, pod], events: [ev] }), T0 + 60_000);
      const e = entryOf(plan, "gpu")!;
      assert.deepEqual([e.verificationStage, e.verificationStatus], ["sign", "false"]);
      assert.match(e.statusReason!, ev.message!.includes("sign-key") ? /Secret drivers\/sign-key/ : /Secret drivers\/sign-cert/);
      assert.deepEqual(plan.delete.map((d) => d.name), [after.image.metadata.name, sign.metadata.name], "a new round from the image stage at the revalidation");
      const gone = step(observed({ preflight: pfvo(plan.status.modules), modules: [m] }), T0 + 60_000 + CONFIG.revalidateAfterMs);
      assert.deepEqual(gone.plan.create.map((j) => j.metadata.labels!["kmm.node.kubernetes.io/job-type"]), ["image"]);
    }
  });

  it("a sign Job past its deadline is an error of the sign stage, saying so", () => {
    const m = withStages({ build: false, sign: true, unsigned: true });
    const after = afterImageFails(m, pfvo());
    const sign = ran(after.plan.create[0]!, { createdMs: T0 + 20_000, finished: { ok: false, atMs: T0 + 620_000, reason: "DeadlineExceeded" } });
    const { plan } = step(observed({ preflight: after.next, modules: [m], jobs: [after.image, sign], pods: after.imagePods }), T0 + 630_000);
    const e = entryOf(plan, "gpu")!;
    assert.deepEqual([e.verificationStage, e.verificationStatus], ["sign", "error"]);
    assert.match(e.statusReason!, /^the sign step did not finish within 600 s/);
  });

  it("an image stage error is retried at the image stage, never handed to the build", () => {
    const m = withStages();
    const start = step(observed({ modules: [m], configMaps: cms() }), T0);
    const image = finishedJob(start.plan.create[0]!, false, T0 + 10_000);
    const pods = [podOf(image, terminated(2, verdictMessage("gpu", "error", "registry unreachable")), { createdMs: T0 })];
    const { plan } = step(observed({ preflight: start.next, modules: [m], jobs: [image], pods, configMaps: cms() }), T0 + 20_000);
    assert.deepEqual([entryOf(plan, "gpu")!.verificationStage, entryOf(plan, "gpu")!.verificationStatus, plan.create.length], ["image", "error", 0]);
  });

  it("revalidates a build failure from the image stage: every Job of the round is deleted", () => {
    const after = afterImageFails(withStages(), pfvo());
    const build = finishedJob(after.plan.create[0]!, false, T0 + 60_000);
    const jobs = [after.image, build];
    const pods = [...after.imagePods, buildPod(build, { container: "build", exitCode: 1, message: "boom" })];
    const failed = step(observed({ preflight: after.next, modules: [withStages()], jobs, pods, configMaps: cms() }), T0 + 70_000);
    const due = step(observed({ preflight: failed.next, modules: [withStages()], jobs, pods, configMaps: cms() }), T0 + 60_000 + CONFIG.revalidateAfterMs);
    assert.deepEqual(due.plan.delete.map((d) => d.name).sort(), [after.image.metadata.name, build.metadata.name].sort());
    const restarted = step(observed({ preflight: due.next, modules: [withStages()], configMaps: cms() }), T0 + 61_000 + CONFIG.revalidateAfterMs);
    assert.deepEqual(restarted.plan.create.map((j) => j.metadata.labels!["kmm.node.kubernetes.io/job-type"]), ["image"]);
    assert.equal(entryOf(restarted.plan, "gpu")!.verificationStatus, "false", "the verdict stands while the new round runs");
  });
});

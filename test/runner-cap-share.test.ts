import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Module, PreflightValidationOCP } from "../src/api/index.js";
import { JOB_TYPE_LABEL } from "../src/jobs/labels.js";
import type { Job } from "../src/jobs/objects.js";
import type { PlanConfig } from "../src/jobs/plan.js";
import { KernelLookups } from "../src/runner/kernel-lookups.js";
import { jobFinished } from "../src/runner/kube-ports.js";
import type { ClusterView, ClusterWriter } from "../src/runner/ports.js";
import { RunnerMemory, reconcilePreflight } from "../src/runner/reconcile.js";
import { captureLog } from "./support/captured-log.js";
import { FakeClock } from "./support/fake-clock.js";

// The cap on running Jobs is shared by every PreflightValidationOCP: reconcilePreflight over ports
// held in memory (src/runner/ports.ts), to show who gets a slot that frees.

const KERNEL = "5.14.0-427.13.1.el9_4.x86_64";
const CONFIG: PlanConfig = {
  jobImage: "quay.io/kmm/kmm-preflight:1.0", maxRunningJobs: 2, revalidateAfterMs: 600_000, jobDeadlineSeconds: 600,
  builderImage: "quay.io/buildah/stable:v1", buildDeadlineSeconds: 3600, errorBackoff: { initialMs: 10_000, maxMs: 300_000 }, stuckAfterMs: 30_000,
};

const pfvo = (name: string): PreflightValidationOCP => ({
  apiVersion: "kmm.sigs.x-k8s.io/v1beta2", kind: "PreflightValidationOCP",
  metadata: { name, uid: `${name}-uid`, generation: 1, resourceVersion: "1" },
  spec: { releaseImage: `quay.io/openshift-release-dev/ocp-release@sha256:${"a".repeat(64)}` },
  status: { kernelVersion: KERNEL },
});

const mod = (name: string): Module => ({
  apiVersion: "kmm.sigs.x-k8s.io/v1beta1", kind: "Module", metadata: { name, namespace: "drivers", uid: `${name}-uid` },
  spec: { selector: {}, moduleLoader: { container: { modprobe: { moduleName: name }, kernelMappings: [{ regexp: "^5", containerImage: `quay.io/acme/${name}:1` }] } } },
});

/** A cluster in memory: PFVOs, Modules and the Jobs the runner creates (seen by the "cache" at once). */
function cluster(preflights: PreflightValidationOCP[], modules: Module[]) {
  const pfs = new Map(preflights.map((p) => [p.metadata.name!, p]));
  const jobs: Job[] = [];
  let uids = 0;
  const view: ClusterView = {
    synced: true,
    preflight: (n) => pfs.get(n),
    preflights: () => [...pfs.values()],
    modules: () => modules,
    jobsOwnedBy: (uid) => jobs.filter((j) => j.metadata.ownerReferences?.some((r) => r.uid === uid)),
    podsOf: () => [],
    warningsAbout: () => [],
    activeJobs: () => jobs.filter((j) => !jobFinished(j)),
  };
  const writer: ClusterWriter = {
    readPreflight: async (n) => pfs.get(n),
    async writeStatus(pf) {
      const next = { ...pf, metadata: { ...pf.metadata, resourceVersion: String(Number(pf.metadata.resourceVersion) + 1) } };
      pfs.set(pf.metadata.name!, next);
      return next;
    },
    async createJob(job) {
      jobs.push({ ...job, metadata: { ...job.metadata, uid: `job-${uids++}`, creationTimestamp: "2026-01-01T00:00:00Z" } });
      return "created";
    },
    deleteJob: async () => "absent",
    recordEvent: async () => {},
    readConfigMap: async () => "missing",
  };
  /** Ends one running Job of `preflight` (the Job controller's Complete). */
  const finishOne = (preflight: string) => {
    const j = jobs.find((x) => x.metadata.ownerReferences?.[0]?.name === preflight && !jobFinished(x))!;
    j.status = { conditions: [{ type: "Complete", status: "True", lastTransitionTime: "2026-01-01T00:01:00Z" }] };
  };
  const running = (preflight: string) => jobs.filter((j) => j.metadata.ownerReferences?.[0]?.name === preflight && !jobFinished(j) && j.metadata.labels?.[JOB_TYPE_LABEL] === "image").length;
  return { view, writer, finishOne, running };
}

describe("reconcilePreflight() and the cap on running Jobs", () => {
  describe("given two PreflightValidationOCPs and more Modules than the cap", () => {
    it("gives a slot that frees to the one that has been waiting, not back to the one that holds the cap", async () => {
      const c = cluster([pfvo("a"), pfvo("b")], [mod("m1"), mod("m2"), mod("m3"), mod("m4")]);
      const clock = new FakeClock();
      const deps = {
        view: c.view, writer: c.writer, config: CONFIG, clock, log: captureLog().log, memory: new RunnerMemory(),
        kernels: new KernelLookups({ source: async () => KERNEL, onSettled: () => {}, clock }),
      };
      await reconcilePreflight("a", deps);
      await reconcilePreflight("b", deps);
      assert.deepEqual([c.running("a"), c.running("b")], [2, 0], "a came first and took the cap");
      c.finishOne("a");
      await clock.advance(100_000);
      await reconcilePreflight("a", deps);
      await reconcilePreflight("b", deps);
      assert.deepEqual([c.running("a"), c.running("b")], [1, 1], "b waits for one slot, not for all of a's Modules");
    });
  });
});

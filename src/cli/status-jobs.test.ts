import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Job, Pod } from "../jobs/objects.js";
import * as sut from "./status-jobs.js";

const NOW = new Date("2026-12-01T10:10:00Z");

const job = (stage: string, uid: string): Job => ({
  apiVersion: "batch/v1",
  kind: "Job",
  metadata: {
    name: `preflight-${stage}-gpu-0123456789`, namespace: "drivers", uid, creationTimestamp: "2026-12-01T10:00:00Z",
    labels: { "kmm.node.kubernetes.io/job-type": stage },
    ownerReferences: [{ apiVersion: "kmm.sigs.x-k8s.io/v1beta2", kind: "PreflightValidationOCP", name: "upgrade", uid: "pf-uid", controller: true }],
  },
  spec: { backoffLimit: 0, activeDeadlineSeconds: 3600, ttlSecondsAfterFinished: 86400, template: { metadata: {}, spec: { restartPolicy: "Never", containers: [] } } },
  status: { conditions: [{ type: "Complete", status: "True", lastTransitionTime: "2026-12-01T10:05:00Z" }] },
});

const pod = (j: Job, name: string): Pod => ({
  metadata: { name: `${j.metadata.name}-abcde`, namespace: "drivers", uid: `${j.metadata.uid}-pod`, creationTimestamp: "2026-12-01T10:00:01Z", ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: j.metadata.name!, uid: j.metadata.uid! }] },
  status: { phase: "Succeeded", containerStatuses: [{ name, state: { terminated: { exitCode: 0, reason: "Completed" } } }] },
});

describe("summarizeJobs()", () => {
  describe("given a build Job that completed", () => {
    it("reads it as a build (its success is the build's), not as an image check without a report", () => {
      const build = job("build", "build-uid");
      const [row] = sut.summarizeJobs([build], [pod(build, "push")], { namespace: "drivers", name: "gpu" }, NOW);
      assert.equal(row!.stage, "build");
      assert.equal(row!.outcome, "true: the build succeeded");
    });
  });
});

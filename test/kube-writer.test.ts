import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { isConflict } from "../src/kube/api-error.js";
import { JOBS, PODS, PREFLIGHTS } from "../src/kube/resources.js";
import { createWriter, type Writer } from "../src/kube/writer.js";
import { startKubeApiServer, type KubeApiServer, type KubeObject } from "./support/kube-api-server.js";

// The writer against the in-memory API server, through the real client-node: the idempotent verbs a
// controller relies on.

const job = (name: string, ownerUid?: string): KubeObject => ({
  apiVersion: "batch/v1",
  kind: "Job",
  metadata: { name, namespace: "default", ...(ownerUid && { ownerReferences: [{ apiVersion: "v1", kind: "X", name: "x", uid: ownerUid }] }) },
  spec: { template: { spec: { containers: [] } } },
});

describe("createWriter()", () => {
  let server: KubeApiServer;
  let writer: Writer;
  before(async () => {
    server = await startKubeApiServer();
    writer = createWriter(server.kubeConfig(), { requestTimeoutMs: 2000 });
  });
  after(async () => server.close());

  describe("create()", () => {
    it("answers created, then exists for the same name, leaving the first object as it was", async () => {
      assert.equal(await writer.create(JOBS, job("j1")), "created");
      const first = server.get("jobs.batch", "j1", "default");
      assert.equal(await writer.create(JOBS, { ...job("j1"), spec: { changed: true } }), "exists");
      assert.deepEqual(server.get("jobs.batch", "j1", "default"), first);
    });

    it("throws any other failure", async () => {
      server.faults.failNext(1, 403);
      await assert.rejects(writer.create(JOBS, job("j2")), (err: { code?: number }) => err.code === 403);
    });
  });

  describe("delete()", () => {
    it("answers deleted, then absent, and by default lets the garbage collector remove dependents", async () => {
      await writer.create(JOBS, job("j3"));
      const uid = server.get("jobs.batch", "j3", "default")!.metadata!.uid!;
      server.seed({ apiVersion: "v1", kind: "Pod", metadata: { name: "j3-pod", namespace: "default", ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: "j3", uid }] } });
      assert.equal(await writer.delete(JOBS, "j3", "default"), "deleted");
      assert.equal(server.get("pods", "j3-pod", "default"), undefined, "Background propagation removed the Job's Pod");
      assert.equal(await writer.delete(JOBS, "j3", "default"), "absent");
    });

    it("with a uid, leaves a newer object of the same name alone", async () => {
      await writer.create(JOBS, job("j4"));
      await assert.rejects(writer.delete(JOBS, "j4", "default", { uid: "some-older-uid" }), (err: { code?: number }) => err.code === 409);
      assert.ok(server.get("jobs.batch", "j4", "default"));
    });
  });

  describe("updateStatus()", () => {
    it("writes only status, and a stale resourceVersion is a conflict", async () => {
      server.seed({ apiVersion: "kmm.sigs.x-k8s.io/v1beta2", kind: "PreflightValidationOCP", metadata: { name: "p" }, spec: { releaseImage: "r:1" } });
      const read = (await writer.get<KubeObject>(PREFLIGHTS, "p"))!;
      const written = await writer.updateStatus(PREFLIGHTS, { ...read, spec: { releaseImage: "changed:2" }, status: { modules: [] } });
      assert.deepEqual(written["status"], { modules: [] });
      assert.deepEqual(server.get("preflightvalidationsocp.kmm.sigs.x-k8s.io", "p")!["spec"], { releaseImage: "r:1" }, "the status subresource ignores spec");
      await assert.rejects(writer.updateStatus(PREFLIGHTS, { ...read, status: { modules: [{ name: "late" }] } }), (err) => isConflict(err));
    });
  });

  describe("get()", () => {
    it("answers undefined for an object that does not exist, in the core group too", async () => {
      assert.equal(await writer.get(PODS, "nope", "default"), undefined);
    });
  });
});

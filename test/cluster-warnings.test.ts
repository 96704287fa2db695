import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { VALIDATE_PREFLIGHT_PATH } from "../src/api/index.js";
import type { RunningServer } from "../src/server/serve.js";
import { type KubeApiServer, startKubeApiServer } from "./support/kube-api-server.js";
import { type ClusterUnderTest, startClusterUnderTest, startServerWithCluster } from "./support/cluster-server.js";
import { httpsRequest } from "./support/https-client.js";
import { preflight, RELEASE_DIGEST, reviewOf } from "./support/reviews.js";
import { eventually } from "./support/wait.js";

// The admission server with a cluster configured: the real client-node against the test API server.

const PFVO = { apiVersion: "kmm.sigs.x-k8s.io/v1beta2", kind: "PreflightValidationOCP" } as const;

async function validate(port: number, ca: string, name: string, spec = { releaseImage: RELEASE_DIGEST }) {
  const res = await httpsRequest(port, { ca, path: VALIDATE_PREFLIGHT_PATH, body: reviewOf({ object: preflight(name, spec) }) });
  return JSON.parse(res.body).response as { allowed: boolean; warnings?: string[] };
}

/** Rejects if the request takes longer than the webhook's timeoutSeconds in manifests/ (5 s). */
function withinWebhookTimeout<T>(p: Promise<T>): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error("no answer within the 5 s webhook timeout")), 5000).unref())]);
}

describe("validating webhook with a cluster configured", () => {
  let cluster: ClusterUnderTest | undefined;
  let api: KubeApiServer;
  let server: RunningServer;
  let ca: string;

  before(async () => {
    cluster = await startClusterUnderTest([{ ...PFVO, metadata: { name: "existing" }, spec: { releaseImage: RELEASE_DIGEST, pushBuiltImage: false, useRTKernel: false } }]);
    ({ api, server, ca } = cluster);
  });
  after(() => cluster?.close());

  it("warns that another PreflightValidationOCP already targets the same release", async () => {
    const r = await eventually(() => validate(server.port, ca, "new"), (r) => (r.warnings ?? []).length > 0, "the duplicate warning");
    assert.equal(r.allowed, true);
    assert.match(r.warnings!.join("\n"), /"existing" already validates this release image/);
  });

  it("does not warn for the RT kernel of the same release", async () => {
    const r = await validate(server.port, ca, "rt", { releaseImage: RELEASE_DIGEST, useRTKernel: true } as never);
    assert.deepEqual(r.warnings ?? [], []);
  });

  it("sees objects created after it started, through the watch", async () => {
    const other = "quay.io/openshift-release-dev/ocp-release@sha256:" + "a".repeat(64);
    api.seed({ ...PFVO, metadata: { name: "later" }, spec: { releaseImage: other, pushBuiltImage: false, useRTKernel: false } });
    const r = await eventually(() => validate(server.port, ca, "new2", { releaseImage: other }), (r) => (r.warnings ?? []).length > 0, "the watch event");
    assert.match(r.warnings!.join("\n"), /"later"/);
  });

  it("answers within the webhook timeout while the API server hangs, still admitting valid objects", async () => {
    api.faults.hang();
    api.faults.dropWatches();
    try {
      const r = await withinWebhookTimeout(validate(server.port, ca, "during-outage"));
      assert.equal(r.allowed, true);
    } finally {
      api.faults.clear();
    }
  });
});

describe("starting while the API server is unreachable", () => {
  it("starts, is ready, and answers without the cluster-dependent warning", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "kmm-preflight-cluster-down-"));
    const api = await startKubeApiServer();
    api.seed({ ...PFVO, metadata: { name: "existing" }, spec: { releaseImage: RELEASE_DIGEST } });
    api.faults.hang();
    const { server, ca } = await startServerWithCluster(api, dir);
    try {
      const ready = await httpsRequest(server.port, { ca, path: "/readyz" });
      assert.equal(ready.status, 200, "readiness must not depend on the API server, or an API outage would block every apply");
      const r = await withinWebhookTimeout(validate(server.port, ca, "new"));
      assert.equal(r.allowed, true);
      assert.deepEqual(r.warnings ?? [], []);
    } finally {
      api.faults.clear();
      await server.shutdown("test done");
      await api.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

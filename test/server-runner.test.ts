import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startServerWithCluster } from "./support/cluster-server.js";
import { leaseHolder, spawnServe } from "./support/serve-process.js";
import { type KubeApiServer, type KubeObject, startKubeApiServer } from "./support/kube-api-server.js";
import { waitFor } from "./support/wait.js";

// The runner inside `kmm-preflight serve`: the settings reach it, its metrics are served, --no-runner
// turns it off, and the real process stops cleanly on SIGTERM in the middle of a reconcile.

const KERNEL = "5.14.0-427.26.1.el9_4.x86_64";
/** The kernel already resolved (status.kernelVersion), so no registry is involved. */
const pfvo: KubeObject = {
  apiVersion: "kmm.sigs.x-k8s.io/v1beta2", kind: "PreflightValidationOCP", metadata: { name: "upgrade" },
  spec: { releaseImage: "quay.io/openshift-release-dev/ocp-release@sha256:" + "a".repeat(64) }, status: { kernelVersion: KERNEL },
};
const module = (name: string): KubeObject => ({
  apiVersion: "kmm.sigs.x-k8s.io/v1beta1", kind: "Module", metadata: { name, namespace: "drivers" },
  spec: { selector: {}, moduleLoader: { container: { modprobe: { moduleName: name }, kernelMappings: [{ regexp: "^5", containerImage: `quay.io/acme/${name}:1` }] } } },
});

async function withApi(fn: (api: KubeApiServer, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), "kmm-preflight-runner-"));
  const api = await startKubeApiServer();
  try {
    await fn(api, dir);
  } finally {
    api.faults.clear();
    await api.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const sample = (text: string, series: string) => Number(text.split("\n").find((l) => l.startsWith(`${series} `))?.slice(series.length + 1));

describe("serve with a cluster: the job runner", () => {
  it("creates the Jobs with the configured image, and serves their metrics", () =>
    withApi(async (api, dir) => {
      api.seed(pfvo, module("gpu"), module("nic"));
      const { server } = await startServerWithCluster(api, dir, { JOB_IMAGE: "registry.example.com/kmm-preflight:v1", JOB_DEADLINE_SECONDS: "99" });
      try {
        await waitFor("two Jobs", () => api.objects("jobs.batch").length === 2, 20_000);
        for (const j of api.objects("jobs.batch")) {
          const spec = j["spec"] as { activeDeadlineSeconds: number; template: { spec: { containers: { image: string }[] } } };
          assert.equal(spec.template.spec.containers[0]!.image, "registry.example.com/kmm-preflight:v1");
          assert.equal(spec.activeDeadlineSeconds, 99);
        }
        const text = await (await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`)).text();
        assert.equal(sample(text, 'kmm_preflight_jobs_created_total{stage="image"}'), 2);
        assert.equal(sample(text, "kmm_preflight_running_jobs"), 2);
        assert.ok(sample(text, "kmm_preflight_queue_depth") >= 0, "queue depth is served");
        assert.equal(sample(text, 'kmm_preflight_modules{preflight="upgrade",verification_status="unknown"}'), 2);
      } finally {
        await server.shutdown("test done");
      }
    }));

  it("with --no-runner serves admission only: no Job, no status", () =>
    withApi(async (api, dir) => {
      api.seed(pfvo, module("gpu"));
      const { server } = await startServerWithCluster(api, dir, { NO_RUNNER: "true" });
      try {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        assert.equal(api.objects("jobs.batch").length, 0);
        assert.ok(!api.requests.some((r) => r.path.includes("/modules") || r.path.includes("/jobs")), "not even a cache of Modules or Jobs");
      } finally {
        await server.shutdown("test done");
      }
    }));
});

describe("kmm-preflight serve with the runner, as a process", () => {
  it("on SIGTERM in the middle of a reconcile, finishes it, releases the Lease and exits 0", () =>
    withApi(async (api, dir) => {
      api.seed(pfvo, module("gpu"));
      const { child, messages } = await spawnServe(api, dir);
      try {
        await waitFor("the process leads", () => (leaseHolder(api) ?? "").startsWith("pod-x_"), 20_000);
        // Every request now takes a second: the status write is in flight when SIGTERM arrives.
        api.faults.delay(1000);
        api.clearRequests();
        await waitFor("a status write in flight", () => api.requests.some((r) => r.method === "PUT" && r.path.endsWith("/status")), 20_000);
        child.kill("SIGTERM");
        const [code] = (await once(child, "exit")) as [number | null];
        assert.equal(code, 0);
        assert.equal(leaseHolder(api), "", "released");
        assert.ok(messages.includes("stopped running validation Jobs"), messages.join(" | "));
        const released = messages.indexOf("released the Lease");
        const workStopped = messages.indexOf("stopped running validation Jobs");
        assert.ok(workStopped >= 0 && released > workStopped, "the work stopped before the Lease was handed over");
      } finally {
        if (child.exitCode === null) child.kill("SIGKILL");
      }
    }));
});

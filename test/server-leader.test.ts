import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { RunningServer } from "../src/server/serve.js";
import { type KubeApiServer, startKubeApiServer } from "./support/kube-api-server.js";
import { startServerWithCluster } from "./support/cluster-server.js";
import { leaseHolder, spawnServe } from "./support/serve-process.js";
import { httpsRequest } from "./support/https-client.js";
import { RELEASE_DIGEST } from "./support/reviews.js";
import { waitFor } from "./support/wait.js";

// The server's leader election, readiness and cluster metrics with a cluster configured: real servers,
// the real client-node, the in-memory API server; and the real process on SIGTERM.

const FAST_LEASE = { LEADER_LEASE_DURATION_SECONDS: "2", LEADER_RENEW_DEADLINE_SECONDS: "1", LEADER_RETRY_PERIOD_SECONDS: "0.1" };
const ELECT = { LEADER_ELECT: "true" };

interface Replica { readonly server: RunningServer; readonly ca: string; readonly name: string }

async function startReplica(api: KubeApiServer, dir: string, name: string, env: Record<string, string> = {}): Promise<Replica> {
  return { ...(await startServerWithCluster(api, dir, { POD_NAME: name, ...FAST_LEASE, ...env })), name };
}

async function metrics(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  return res.text();
}

const sample = (text: string, series: string): number | undefined => {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

const leading = async (r: Replica) => sample(await metrics(r.server.metricsPort), "kmm_preflight_leader") === 1;
const holder = leaseHolder;

/** A temp dir, an API server and whatever replicas `fn` starts, all stopped afterwards. */
async function withCluster(fn: (api: KubeApiServer, start: (name: string, env?: Record<string, string>) => Promise<Replica>) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), "kmm-preflight-leader-"));
  const api = await startKubeApiServer();
  const replicas: Replica[] = [];
  try {
    await fn(api, async (name, env) => {
      const r = await startReplica(api, dir, name, env);
      replicas.push(r);
      return r;
    });
  } finally {
    api.faults.clear();
    await Promise.all(replicas.map((r) => r.server.shutdown("test done")));
    await api.close();
    await rm(dir, { recursive: true, force: true });
  }
}

describe("serve with a cluster: leader election", () => {
  it("one of two replicas leads (Lease and metric agree); its shutdown releases the Lease and the other takes over at once", () =>
    withCluster(async (api, start) => {
      const a = await start("pod-a", ELECT);
      await waitFor("pod-a leads", () => leading(a));
      assert.match(holder(api) ?? "", /^pod-a_[0-9a-f-]{36}$/, "identity: pod name and a random suffix");
      const b = await start("pod-b", { ...ELECT, LEADER_LEASE_DURATION_SECONDS: "30", LEADER_RENEW_DEADLINE_SECONDS: "10" });
      await sleep(400);
      assert.equal(await leading(b), false, "b follows while a renews");
      const ready = async (r: Replica) => (await httpsRequest(r.server.port, { ca: r.ca, path: "/readyz" })).status;
      assert.deepEqual([await ready(a), await ready(b)], [200, 200], "leader or not, both serve admission");

      const t = Date.now();
      await a.server.shutdown("rollout");
      await waitFor("pod-b leads", () => leading(b));
      assert.ok(Date.now() - t < 3000, `took over after ${Date.now() - t} ms, not after a's lease duration`);
      assert.match(holder(api) ?? "", /^pod-b_/);
      assert.equal(await ready(b), 200);
    }));

  it("without --leader-elect (the default) never touches a Lease", () =>
    withCluster(async (api, start) => {
      const a = await start("pod-a");
      await sleep(300);
      assert.equal(api.requests.filter((r) => r.path.includes("/leases")).length, 0);
      assert.equal(await leading(a), false);
    }));

  it("/readyz fails on the leader until its PreflightValidationOCP cache has synced, and says why", () =>
    withCluster(async (api, start) => {
      api.faults.failNext(2, 500, { match: { method: "GET", path: /\/preflightvalidationsocp$/, watch: false } });
      const a = await start("pod-a", ELECT);
      await waitFor("pod-a leads", () => leading(a));
      const before = await httpsRequest(a.server.port, { ca: a.ca, path: "/readyz" });
      assert.equal(before.status, 503);
      assert.match(before.body, /\[-\]leader-caches failed: leading, but the PreflightValidationOCP cache has not synced yet/);
      await waitFor("ready once the cache synced", async () => (await httpsRequest(a.server.port, { ca: a.ca, path: "/readyz" })).status === 200);
    }));
});

describe("serve with a cluster: kmm_preflight_modules", () => {
  it("counts each PreflightValidationOCP's status.modules by verificationStatus, zeros included, and follows changes", () =>
    withCluster(async (api, start) => {
      const entry = (name: string, verificationStatus: string) => ({ namespace: "drivers", name, lastTransitionTime: "2026-11-25T10:00:00Z", verificationStage: "image", verificationStatus });
      api.seed({
        apiVersion: "kmm.sigs.x-k8s.io/v1beta2",
        kind: "PreflightValidationOCP",
        metadata: { name: "upgrade-4-18" },
        spec: { releaseImage: RELEASE_DIGEST },
        status: { modules: [entry("a", "true"), entry("b", "true"), entry("c", "false"), entry("d", "bogus")] },
      });
      // Without the runner, which would rewrite this status (its Modules do not exist).
      const a = await start("pod-a", { NO_RUNNER: "true" });
      const series = (s: string) => `kmm_preflight_modules{preflight="upgrade-4-18",verification_status="${s}"}`;
      let text = "";
      await waitFor("the cache synced", async () => sample((text = await metrics(a.server.metricsPort)), series("true")) !== undefined);
      assert.deepEqual(["true", "false", "error", "unknown"].map((s) => sample(text, series(s))), [2, 1, 0, 1], "an unrecognised status counts as unknown");

      api.modify("preflightvalidationsocp.kmm.sigs.x-k8s.io", "upgrade-4-18", undefined, (o) => {
        (o["status"] as { modules: unknown[] }).modules = [entry("a", "error")];
      });
      await waitFor("the metric follows the watch", async () => sample(await metrics(a.server.metricsPort), series("error")) === 1);
      api.remove("preflightvalidationsocp.kmm.sigs.x-k8s.io", "upgrade-4-18");
      await waitFor("a deleted PreflightValidationOCP has no series", async () => sample(await metrics(a.server.metricsPort), series("error")) === undefined);
    }));
});

describe("kmm-preflight serve with a cluster, as a process", () => {
  it("on SIGTERM releases the Lease it holds and exits 0", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "kmm-preflight-sigterm-lease-"));
    const api = await startKubeApiServer();
    const { child, messages } = await spawnServe(api, dir);
    try {
      await waitFor("the process leads", () => (holder(api) ?? "").startsWith("pod-x_"), 20_000);
      child.kill("SIGTERM");
      const [code] = (await once(child, "exit")) as [number | null];
      assert.equal(code, 0);
      assert.equal(holder(api), "", "released: the next replica need not wait 60 s");
      const released = messages.indexOf("released the Lease");
      const stopped = messages.indexOf("stopped");
      assert.ok(released >= 0 && stopped >= 0 && released < stopped, messages.join(" | "));
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      await api.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

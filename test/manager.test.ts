import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createManager, type Manager } from "../src/manager/manager.js";
import { PREFLIGHTS } from "../src/kube/resources.js";
import { startKubeApiServer, type KubeApiServer } from "./support/kube-api-server.js";
import { captureLog } from "./support/captured-log.js";
import { waitFor } from "./support/wait.js";

// The manager against the in-memory API server: caches first, then the leader's work, on one replica at a time.

const pfvo = (name: string) => ({ apiVersion: "kmm.sigs.x-k8s.io/v1beta2", kind: "PreflightValidationOCP", metadata: { name }, spec: { releaseImage: "r:1" } });
const ELECTION = { namespace: "default", name: "lease", leaseDurationSeconds: 2, renewDeadlineSeconds: 1, retryPeriodSeconds: 0.1 };

/** A manager with a PFVO cache and one piece of work that records what it saw. */
function managed(server: KubeApiServer, id: string, events: string[], electing: boolean): Manager {
  const m = createManager({
    kc: server.kubeConfig(),
    log: captureLog().log,
    onLeading: (leading) => events.push(`${id} ${leading ? "leading" : "not leading"}`),
    ...(electing && { leaderElection: { ...ELECTION, identity: id } }),
  });
  const cache = m.informer("PreflightValidationOCP", { resource: PREFLIGHTS, requestTimeoutMs: 500, relistBackoff: { initialMs: 20, maxMs: 100 } });
  m.runWhileLeading("work", async (signal) => {
    events.push(`${id} work sees ${cache.list()?.length ?? "nothing"}`);
    await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    events.push(`${id} work stopped`);
  });
  return m;
}

describe("createManager()", () => {
  describe("given no leader election", () => {
    it("starts the work once the caches have synced, and stops it on stop()", async () => {
      const server = await startKubeApiServer();
      server.seed(pfvo("a"), pfvo("b"));
      server.faults.hang();
      const events: string[] = [];
      const m = managed(server, "solo", events, false);
      try {
        m.start();
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.deepEqual(events, [], "no work before the cache has synced");
        assert.equal(m.readinessProblem(), undefined, "without an election, readiness never waits for the caches (ADR 3)");
        server.faults.clear();
        await waitFor("work started", () => events.length === 1);
        assert.equal(events[0], "solo work sees 2");
        assert.equal(m.leading, true);
        await m.stop();
        assert.deepEqual(events.slice(1), ["solo work stopped"], "no election, so no leader notifications");
      } finally {
        await m.stop();
        await server.close();
      }
    });
  });

  describe("given two replicas electing a leader", () => {
    it("runs the work on one; when it stops, the other starts only after the first's work has stopped", async () => {
      const server = await startKubeApiServer();
      server.seed(pfvo("a"));
      const events: string[] = [];
      const a = managed(server, "a", events, true);
      const b = managed(server, "b", events, true);
      try {
        a.start();
        await waitFor("a works", () => events.includes("a work sees 1"));
        b.start();
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.equal(events.some((e) => e.startsWith("b ")), false, "b waits while a leads");
        await a.stop();
        await waitFor("b works", () => events.includes("b work sees 1"));
        assert.deepEqual(events, ["a leading", "a work sees 1", "a work stopped", "a not leading", "b leading", "b work sees 1"]);
      } finally {
        await a.stop();
        await b.stop();
        await server.close();
      }
    });

    it("is not ready while leading with a cache that has not synced", async () => {
      const server = await startKubeApiServer();
      const events: string[] = [];
      const m = managed(server, "a", events, true);
      try {
        // The Lease can be taken but every PFVO list fails.
        server.faults.failNext(1000, 500, { match: { path: /preflightvalidationsocp/ } });
        m.start();
        await waitFor("leading", () => events.includes("a leading"));
        assert.match(m.readinessProblem() ?? "", /leading, but the PreflightValidationOCP cache has not synced yet/);
        server.faults.clear();
        await waitFor("ready", () => m.readinessProblem() === undefined);
      } finally {
        await m.stop();
        await server.close();
      }
    });
  });
});

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { type LeaderElection, type LeaderElectionConfig, startLeaderElection } from "../src/kube/leader-election.js";
import { startKubeApiServer, type KubeApiServer, type KubeObject } from "./support/kube-api-server.js";
import { captureLog } from "./support/captured-log.js";
import { waitFor } from "./support/wait.js";

// Leader election against the in-memory API server, through the real client-node: Lease create and
// replace with resourceVersion (409 on a stale write), over HTTP.

const LEASES = "leases.coordination.k8s.io";
const NS = "kmm-preflight";
const NAME = "kmm-preflight";
/** Whole seconds for the Lease (an int32 in the API); short enough for tests. */
const FAST: Omit<LeaderElectionConfig, "identity"> = { namespace: NS, name: NAME, leaseDurationSeconds: 2, renewDeadlineSeconds: 1, retryPeriodSeconds: 0.1 };

const leaseSpec = (s: KubeApiServer) => s.get(LEASES, NAME, NS)?.["spec"] as Record<string, unknown> | undefined;

/** A candidate that records what its leader work saw; the work takes `windDownMs` to stop once aborted. */
function candidate(server: KubeApiServer, identity: string, events: string[], over: Partial<LeaderElectionConfig> = {}, windDownMs = 50) {
  const { log, lines } = captureLog();
  let workSignal: AbortSignal | undefined;
  const election: LeaderElection = startLeaderElection(server.kubeConfig(), log, { ...FAST, identity, ...over }, {
    async onStartedLeading(signal) {
      workSignal = signal;
      events.push(`${identity} started`);
      await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
      // The work takes a moment to wind down; the Lease must not be released before it has.
      await sleep(windDownMs);
      events.push(`${identity} stopped`);
    },
  });
  return { election, lines, signal: () => workSignal };
}

async function withServer(fn: (server: KubeApiServer, stops: (() => Promise<void>)[]) => Promise<void>): Promise<void> {
  const server = await startKubeApiServer();
  const stops: (() => Promise<void>)[] = [];
  try {
    await fn(server, stops);
  } finally {
    server.faults.clear();
    await Promise.all(stops.map((s) => s()));
    await server.close();
  }
}

describe("startLeaderElection()", () => {
  it("creates the Lease, leads, and keeps renewing it", () =>
    withServer(async (server, stops) => {
      const events: string[] = [];
      const a = candidate(server, "pod-a_1", events);
      stops.push(() => a.election.stop());
      await waitFor("leadership", () => a.election.isLeader);
      assert.deepEqual(events, ["pod-a_1 started"]);
      const first = leaseSpec(server)!;
      assert.equal(first["holderIdentity"], "pod-a_1");
      assert.equal(first["leaseDurationSeconds"], 2);
      assert.equal(first["leaseTransitions"], 0);
      assert.match(String(first["renewTime"]), /\.\d{6}Z$/, "MicroTime with six fractional digits");
      await waitFor("a renewal", () => leaseSpec(server)!["renewTime"] !== first["renewTime"]);
      assert.equal(leaseSpec(server)!["acquireTime"], first["acquireTime"], "renewing keeps acquireTime");
      assert.equal(a.election.leader, "pod-a_1");
    }));

  it("with two candidates, exactly one leads; stop() releases the Lease and the other takes over well before it would expire", () =>
    withServer(async (server, stops) => {
      const events: string[] = [];
      const long = { leaseDurationSeconds: 30, renewDeadlineSeconds: 10 };
      // a's work winds down over many of b's retry periods (0.1 s): had a released the Lease before its
      // work stopped, b would start leading meanwhile and the order below would show it.
      const a = candidate(server, "pod-a_1", events, long, 800);
      stops.push(() => a.election.stop());
      await waitFor("a leads", () => a.election.isLeader);
      const b = candidate(server, "pod-b_1", events, long);
      stops.push(() => b.election.stop());
      await waitFor("b sees a as leader", () => b.election.leader === "pod-a_1");
      await sleep(300);
      assert.equal(b.election.isLeader, false, "b waits while a's Lease is fresh");

      const stoppedAt = Date.now();
      await a.election.stop();
      assert.equal(a.election.isLeader, false);
      assert.equal(a.signal()?.aborted, true);
      await waitFor("b leads", () => b.election.isLeader);
      assert.ok(Date.now() - stoppedAt < 5000, "a released Lease is taken at the next retry, not after 30 s");
      // a's work ended before the Lease was released, so it never overlapped b's.
      assert.deepEqual(events, ["pod-a_1 started", "pod-a_1 stopped", "pod-b_1 started"]);
      assert.equal(leaseSpec(server)!["holderIdentity"], "pod-b_1");
      assert.equal(leaseSpec(server)!["leaseTransitions"], 1, "a's creation counts none, b's takeover one");
      assert.ok(a.lines.some((l) => l["msg"] === "released the Lease"));
    }));

  it("never lets two candidates lead at once, even when they start together", () =>
    withServer(async (server, stops) => {
      const events: string[] = [];
      const cs = ["pod-a_1", "pod-b_1", "pod-c_1"].map((id) => candidate(server, id, events));
      for (const c of cs) stops.push(() => c.election.stop());
      await waitFor("someone leads", () => cs.some((c) => c.election.isLeader));
      for (let i = 0; i < 20; i++) {
        assert.equal(cs.filter((c) => c.election.isLeader).length, 1);
        await sleep(50);
      }
      assert.equal(events.length, 1, `one leader started: ${events.join(", ")}`);
    }));

  it("steps down when another candidate holds the Lease at renewal, and stops its work", () =>
    withServer(async (server, stops) => {
      const events: string[] = [];
      const a = candidate(server, "pod-a_1", events);
      stops.push(() => a.election.stop());
      await waitFor("a leads", () => a.election.isLeader);
      server.modify(LEASES, NAME, NS, (o: KubeObject) => {
        (o["spec"] as Record<string, unknown>)["holderIdentity"] = "intruder";
      });
      await waitFor("a steps down", () => !a.election.isLeader);
      assert.equal(a.signal()?.aborted, true);
      await waitFor("a's work stopped", () => events.length === 2);
      assert.deepEqual(events, ["pod-a_1 started", "pod-a_1 stopped"]);
      assert.equal(a.election.leader, "intruder");
      // The intruder never renews: once its Lease expires, a leads again.
      await waitFor("a leads again", () => a.election.isLeader, 6000);
      assert.equal(leaseSpec(server)!["holderIdentity"], "pod-a_1");
    }));

  it("gives up leadership when it cannot renew within the renew deadline, and leads again once the API server is back", () =>
    withServer(async (server, stops) => {
      const events: string[] = [];
      const a = candidate(server, "pod-a_1", events);
      stops.push(() => a.election.stop());
      await waitFor("a leads", () => a.election.isLeader);
      server.faults.refuseConnections();
      const downAt = Date.now();
      await waitFor("a steps down", () => !a.election.isLeader);
      const after = Date.now() - downAt;
      assert.ok(after >= 900 && after < 2000, `stepped down after ${after} ms: within the lease duration (2 s), not before the renew deadline (1 s)`);
      assert.equal(a.signal()?.aborted, true);
      assert.ok(a.lines.some((l) => l["level"] === "warn" && String(l["msg"]).startsWith("lost the Lease")));
      server.faults.clear();
      await waitFor("a leads again", () => a.election.isLeader);
      assert.deepEqual(events, ["pod-a_1 started", "pod-a_1 stopped", "pod-a_1 started"]);
    }));

  it("steps down by the renew deadline even when the API server hangs instead of failing", () =>
    withServer(async (server, stops) => {
      const events: string[] = [];
      const a = candidate(server, "pod-a_1", events);
      stops.push(() => a.election.stop());
      await waitFor("a leads", () => a.election.isLeader);
      // Let a renewal land, then hang: from the last renewal, a has at most the renew deadline (1 s).
      const renewed = leaseSpec(server)!["renewTime"];
      await waitFor("a renewal", () => leaseSpec(server)!["renewTime"] !== renewed);
      const lastRenewal = Date.parse(String(leaseSpec(server)!["renewTime"]));
      server.faults.hang();
      await waitFor("a steps down", () => !a.election.isLeader);
      await waitFor("a's work stopped", () => events.length === 2);
      const after = Date.now() - lastRenewal;
      assert.ok(after < 1500, `work stopped ${after} ms after the last renewal: a hung request must not stretch the renew deadline (1 s) toward the lease duration (2 s)`);
    }));

  it("counts the first term's renew deadline from when the acquiring request was sent, not from when its slow answer came", () =>
    withServer(async (server, stops) => {
      // Each request takes 400 ms: acquiring (read + create) ends ~800 ms after it was sent, leaving
      // ~200 ms of the 1 s renew deadline, less than a renewal takes.
      server.faults.delay(400);
      const events: string[] = [];
      const start = performance.now();
      const a = candidate(server, "pod-a_1", events);
      stops.push(() => a.election.stop());
      await waitFor("a leads", () => a.election.isLeader);
      await waitFor("a steps down", () => !a.election.isLeader);
      const held = performance.now() - start;
      assert.ok(held < 1400, `led until ${Math.round(held)} ms after the acquire was sent; others may take over 2 s after it landed`);
    }));

  it("counts each renewal's deadline from when the last successful renewal was sent, not from when its answer came", () =>
    withServer(async (server, stops) => {
      const events: string[] = [];
      const a = candidate(server, "pod-a_1", events, { leaseDurationSeconds: 4, renewDeadlineSeconds: 2 });
      stops.push(() => a.election.stop());
      await waitFor("a leads", () => a.election.isLeader);
      // One renewal is answered 1 s after it was sent; every request after it hangs.
      server.faults.delay(1000);
      server.clearRequests();
      await waitFor("a renewal sent", () => server.requests.some((r) => r.method === "PUT"));
      const sentAt = performance.now();
      const renewed = leaseSpec(server)!["renewTime"];
      await waitFor("the slow renewal landed", () => leaseSpec(server)!["renewTime"] !== renewed);
      server.faults.hang();
      await waitFor("a steps down", () => !a.election.isLeader, 5000);
      const held = performance.now() - sentAt;
      // Counted from the send: 2 s. Counted from the answer it would be 3 s, while another candidate may
      // take the Lease 4 s after the record it saw, which it may have seen before the answer came.
      assert.ok(held < 2500, `stepped down ${Math.round(held)} ms after the last successful renewal was sent; the renew deadline is 2 s`);
      server.faults.clear();
    }));

  it("does not leave the Lease held when stop() aborts a write that still lands", () =>
    withServer(async (server, stops) => {
      server.faults.delay(300);
      const a = candidate(server, "pod-a_1", []);
      stops.push(() => a.election.stop());
      await waitFor("the create was sent", () => server.requests.some((r) => r.method === "POST"));
      await a.election.stop();
      await sleep(400); // the aborted create is handled after its delay
      assert.notEqual(leaseSpec(server)?.["holderIdentity"], "pod-a_1");
    }));

  it("keeps the Lease's own metadata (labels, annotations) when renewing", () =>
    withServer(async (server, stops) => {
      const a = candidate(server, "pod-a_1", []);
      stops.push(() => a.election.stop());
      await waitFor("a leads", () => a.election.isLeader);
      server.modify(LEASES, NAME, NS, (o: KubeObject) => {
        (o["metadata"] as Record<string, unknown>)["labels"] = { team: "platform" };
      });
      const renewed = leaseSpec(server)!["renewTime"];
      await waitFor("a renewal after the label", () => leaseSpec(server)!["renewTime"] !== renewed);
      assert.equal(a.election.isLeader, true, "a 409 on the fast path falls back to a read, not a lost Lease");
      assert.deepEqual((server.get(LEASES, NAME, NS)!["metadata"] as Record<string, unknown>)["labels"], { team: "platform" });
    }));

  it("logs a persistent failure (403: RBAC) once at warn, and recovery at info", () =>
    withServer(async (server, stops) => {
      server.faults.failNext(5, 403, { message: 'leases.coordination.k8s.io "kmm-preflight" is forbidden' });
      const a = candidate(server, "pod-a_1", []);
      stops.push(() => a.election.stop());
      await waitFor("a leads", () => a.election.isLeader, 8000);
      const warns = a.lines.filter((l) => l["level"] === "warn");
      assert.equal(warns.length, 1, JSON.stringify(warns));
      assert.match(String(warns[0]!["error"]), /HTTP 403: .*forbidden/);
      assert.ok(a.lines.some((l) => l["level"] === "info" && l["msg"] === "the Lease can be read and written again"));
    }));

  it("survives callbacks that throw", () =>
    withServer(async (server, stops) => {
      const { log, lines } = captureLog();
      const boom = () => {
        throw new Error("boom");
      };
      const a = startLeaderElection(server.kubeConfig(), log, { ...FAST, identity: "pod-a_1" }, { onStartedLeading: boom, onNewLeader: boom, onStoppedLeading: boom });
      stops.push(() => a.stop());
      await waitFor("a leads", () => a.isLeader);
      await a.stop();
      assert.equal(leaseSpec(server)!["holderIdentity"], "", "released all the same");
      assert.ok(lines.some((l) => l["msg"] === "the onNewLeader callback failed"));
      assert.ok(lines.some((l) => l["msg"] === "the onStoppedLeading callback failed"));
      assert.ok(lines.some((l) => l["msg"] === "the leader's work failed"));
    }));

  it("stop() gives work that ignores its signal leaseDuration - renewDeadline, then returns without releasing", () =>
    withServer(async (server, stops) => {
      const { log, lines } = captureLog();
      const a = startLeaderElection(server.kubeConfig(), log, { ...FAST, identity: "pod-a_1" }, { onStartedLeading: () => new Promise(() => {}) });
      stops.push(() => a.stop());
      await waitFor("a leads", () => a.isLeader);
      const t = performance.now();
      await a.stop();
      const took = performance.now() - t;
      assert.ok(took >= 900 && took < 2000, `stop() took ${Math.round(took)} ms; the allowance is 1 s`);
      assert.equal(leaseSpec(server)!["holderIdentity"], "pod-a_1", "not released while the work may still act");
      assert.ok(lines.some((l) => l["level"] === "error" && String(l["msg"]).startsWith("the leader's work did not stop in time")));
    }));

  it("keeps trying through 409 conflicts and 500s", () =>
    withServer(async (server, stops) => {
      server.faults.failNext(3, 409, { match: { method: "POST" } });
      server.faults.failNext(3, 500, { match: { method: "GET" } });
      const a = candidate(server, "pod-a_1", []);
      stops.push(() => a.election.stop());
      await waitFor("a leads", () => a.election.isLeader);
      assert.equal(leaseSpec(server)!["holderIdentity"], "pod-a_1");
    }));

  it("stop() returns within the renew deadline when the API server is down, and says the Lease was not released", () =>
    withServer(async (server, stops) => {
      const a = candidate(server, "pod-a_1", []);
      stops.push(() => a.election.stop());
      await waitFor("a leads", () => a.election.isLeader);
      server.faults.hang();
      const t = Date.now();
      await a.election.stop();
      assert.ok(Date.now() - t < 2500, `stop took ${Date.now() - t} ms`);
      assert.ok(a.lines.some((l) => l["level"] === "warn" && String(l["msg"]).startsWith("could not release the Lease")));
    }));

  it("a candidate that never led does not touch the Lease on stop()", () =>
    withServer(async (server, stops) => {
      const a = candidate(server, "pod-a_1", [], { leaseDurationSeconds: 30, renewDeadlineSeconds: 10 });
      stops.push(() => a.election.stop());
      await waitFor("a leads", () => a.election.isLeader);
      const b = candidate(server, "pod-b_1", []);
      await waitFor("b sees a", () => b.election.leader === "pod-a_1");
      server.clearRequests();
      await b.election.stop();
      assert.deepEqual(server.requests.filter((r) => r.method === "PUT"), []);
      assert.equal(leaseSpec(server)!["holderIdentity"], "pod-a_1");
    }));
});

describe("startLeaderElection() configuration", () => {
  it("refuses timings that cannot work and an empty identity", async () => {
    const server = await startKubeApiServer();
    try {
      const base = { namespace: NS, name: NAME, identity: "x" };
      const start = (c: LeaderElectionConfig) => () => startLeaderElection(server.kubeConfig(), captureLog().log, c, { onStartedLeading() {} });
      assert.throws(start({ ...base, retryPeriodSeconds: 0 }), /^Error: leader election: the retry period must be positive$/);
      assert.throws(start({ ...base, identity: "" }), /leader election: the identity must not be empty/);
      assert.equal(server.requests.length, 0, "nothing was sent");
    } finally {
      await server.close();
    }
  });
});

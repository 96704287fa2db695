import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createEventRecorder, type EventRecorder } from "../src/kube/event-recorder.js";
import { createWriter } from "../src/kube/writer.js";
import { FakeClock } from "./support/fake-clock.js";
import { startKubeApiServer, type KubeApiServer } from "./support/kube-api-server.js";

// Events against the test API server: created once per name, a repeat aggregated by a patch.

describe("createEventRecorder()", () => {
  let server: KubeApiServer;
  let recorder: EventRecorder;
  const clock = new FakeClock(Date.parse("2026-12-04T10:00:00Z"));
  const pfvo = { apiVersion: "kmm.sigs.x-k8s.io/v1beta2", kind: "PreflightValidationOCP", name: "upgrade", uid: "pf-uid" };
  before(async () => {
    server = await startKubeApiServer();
    recorder = createEventRecorder(createWriter(server.kubeConfig()), { component: "kmm-preflight", instance: "pod-a", clock });
  });
  after(async () => server.close());

  it("records an Event about a cluster-scoped object in default, with its type, reason and source", async () => {
    await recorder.record(pfvo, { name: "upgrade.aaaa", type: "Warning", reason: "ModuleFailed", message: "Module drivers/gpu: false" });
    const e = server.get("events", "upgrade.aaaa", "default")!;
    assert.deepEqual(e["involvedObject"], { apiVersion: pfvo.apiVersion, kind: pfvo.kind, name: "upgrade", uid: "pf-uid" });
    assert.deepEqual([e["type"], e["reason"], e["count"], e["firstTimestamp"], (e["source"] as { component: string }).component], ["Warning", "ModuleFailed", 1, "2026-12-04T10:00:00Z", "kmm-preflight"]);
  });

  it("aggregates a repeat into the same Event: count, lastTimestamp and message move, nothing is added", async () => {
    await clock.advance(60_000);
    await recorder.record(pfvo, { name: "upgrade.aaaa", type: "Warning", reason: "ModuleFailed", message: "Module drivers/gpu: false again" });
    const e = server.get("events", "upgrade.aaaa", "default")!;
    assert.deepEqual([e["count"], e["firstTimestamp"], e["lastTimestamp"], e["message"]], [2, "2026-12-04T10:00:00Z", "2026-12-04T10:01:00Z", "Module drivers/gpu: false again"]);
    assert.equal(server.objects("events", "default").length, 1);
    assert.ok(!server.requests.some((r) => r.method === "GET" && r.path.includes("/events")), "no read: RBAC grants create and patch only");
  });
});

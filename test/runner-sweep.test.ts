import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { PreflightValidationOCP } from "../src/api/index.js";
import { createEventRecorder } from "../src/kube/event-recorder.js";
import { PREFLIGHTS } from "../src/kube/resources.js";
import { createWriter } from "../src/kube/writer.js";
import { createManager } from "../src/manager/manager.js";
import { clusterWriter } from "../src/runner/kube-ports.js";
import { startRunner } from "../src/runner/runner.js";
import { systemClock } from "../src/util/clock.js";
import { captureLog } from "./support/captured-log.js";
import { startKubeApiServer } from "./support/kube-api-server.js";
import { waitFor } from "./support/wait.js";

// The sweeper over a leader's whole term: each sweep waits for its reconciles or for the end of the
// leadership, and leaves nothing behind on the leadership's signal.

describe("the runner's sweeps", () => {
  it("leave no listener behind: 30 sweeps (past Node's warning at 11) do not grow the leadership signal's listeners", async () => {
    const api = await startKubeApiServer();
    const { log } = captureLog();
    const kc = api.kubeConfig();
    const manager = createManager({ kc, log });
    const writer = createWriter(kc, { requestTimeoutMs: 5000 });
    const runner = startRunner({
      manager,
      preflights: manager.informer<PreflightValidationOCP>("PreflightValidationOCP", { resource: PREFLIGHTS }),
      writer: clusterWriter(writer, createEventRecorder(writer, { component: "kmm-preflight", instance: "test", clock: systemClock })),
      kernelSource: async () => "5.14.0-427.26.1.el9_4.x86_64",
      // Sweeps are run by hand below; the schedule's own would not come within the test.
      config: { jobImage: "kmm-preflight:test", sweepSchedule: "0 0 0 1 1 *", maxRunningJobs: 20, revalidateAfterMs: 600_000, jobDeadlineSeconds: 120, builderImage: "buildah:test", buildDeadlineSeconds: 300, errorBackoff: { initialMs: 500, maxMs: 2000 }, stuckAfterMs: 1500 },
      clock: systemClock,
      log,
    });
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on("warning", onWarning);
    manager.start();
    try {
      await waitFor("the runner to lead", () => runner.active, 10_000);
      for (let i = 0; i < 30; i++) await runner.sweep();
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(warnings.filter((w) => w.startsWith("MaxListenersExceededWarning")), []);
    } finally {
      process.off("warning", onWarning);
      await manager.stop();
      await api.close();
    }
  });
});

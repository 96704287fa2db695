// The runner alone in a process (so its memory is its own), against the API server named by the
// kubeconfig in argv[2]. Prints {"ready":true} once its caches have synced and its first pass is
// done; then, for each "sweep" line on stdin, runs one sweep and prints its figures as one JSON line.
import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { KubeConfig } from "@kubernetes/client-node";
import type { PreflightValidationOCP } from "../../src/api/index.js";
import { createEventRecorder } from "../../src/kube/event-recorder.js";
import { PREFLIGHTS } from "../../src/kube/resources.js";
import { createWriter } from "../../src/kube/writer.js";
import { createLogger } from "../../src/log/logger.js";
import { createManager } from "../../src/manager/manager.js";
import { clusterWriter } from "../../src/runner/kube-ports.js";
import { startRunner } from "../../src/runner/runner.js";
import { systemClock } from "../../src/util/clock.js";

const kc = new KubeConfig();
kc.loadFromFile(process.argv[2]!);
const log = createLogger({ level: "error", stream: new Writable({ write: (_c, _e, cb) => cb() }) });
const manager = createManager({ kc, log });
const preflights = manager.informer<PreflightValidationOCP>("PreflightValidationOCP", { resource: PREFLIGHTS });
const writer = createWriter(kc);
const runner = startRunner({
  manager,
  preflights,
  writer: clusterWriter(writer, createEventRecorder(writer, { component: "kmm-preflight", instance: "bench", clock: systemClock })),
  kernelSource: async () => {
    throw new Error("the bench's PreflightValidationOCPs carry their kernel");
  },
  // A schedule that never fires on its own: sweeps are run on demand.
  config: { jobImage: "kmm-preflight:bench", sweepSchedule: "0 0 0 1 1 *", maxRunningJobs: 20, revalidateAfterMs: 600_000, jobDeadlineSeconds: 600, builderImage: "buildah:bench", buildDeadlineSeconds: 3600, errorBackoff: { initialMs: 10_000, maxMs: 600_000 }, stuckAfterMs: 30_000 },
  clock: systemClock,
  log,
});
manager.start();
while (!runner.active) await new Promise((r) => setTimeout(r, 20));
await runner.sweep(); // the first pass (the one leading starts) is measured by the parent separately
process.stdout.write(`${JSON.stringify({ ready: true, rss: process.memoryUsage().rss })}\n`);

for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() !== "sweep") continue;
  global.gc?.();
  const started = performance.now();
  await runner.sweep();
  const ms = performance.now() - started;
  const m = process.memoryUsage();
  process.stdout.write(`${JSON.stringify({ ms, rss: m.rss, heapUsed: m.heapUsed })}\n`);
}
await manager.stop();
process.exit(0);

// Sweep cost as the cluster grows (README "Performance", bench/README.md): the runner in its own
// process against the test API server in this one, with 3 PreflightValidationOCPs and 100, 1,000 and
// 5,000 Modules across 50 namespaces. For each size: the first pass (fresh PFVOs: every entry written,
// Jobs started up to the cap), then steady-state sweeps (every Module verified: the common case), with
// wall time, API requests per sweep and the runner's RSS, printed beside the 100-Module figures.
//
//   npm run bench:runner [-- --sizes 100,1000,5000 --sweeps 5 --json out.json]
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import type { Module, PreflightModuleStatus } from "../../src/api/index.js";
import { moduleSpecHash } from "../../src/jobs/spec-hash.js";
import { startKubeApiServer, type KubeApiServer, type KubeObject } from "../../test/support/kube-api-server.js";

const KERNEL = "5.14.0-427.26.1.el9_4.x86_64";
const NAMESPACES = 50;
const PREFLIGHTS = 3;

const { values } = parseArgs({ options: { sizes: { type: "string", default: "100,1000,5000" }, sweeps: { type: "string", default: "5" }, json: { type: "string" } } });
const sizes = values.sizes!.split(",").map(Number);
const sweeps = Number(values.sweeps);

function module(i: number): Module {
  return {
    apiVersion: "kmm.sigs.x-k8s.io/v1beta1",
    kind: "Module",
    metadata: { name: `driver-${i}`, namespace: `team-${i % NAMESPACES}` },
    spec: {
      selector: { "node-role.kubernetes.io/worker": "" },
      imageRepoSecret: { name: "pull" },
      moduleLoader: {
        container: {
          modprobe: { moduleName: `driver_${i}` },
          kernelMappings: [
            { regexp: "^4\\.18\\.", containerImage: "registry.example.com/kmm/old:${KERNEL_FULL_VERSION}" },
            { regexp: "^5\\.14\\.", containerImage: "registry.example.com/kmm/${MOD_NAME}:${KERNEL_FULL_VERSION}" },
          ],
        },
      },
    },
  };
}

/** A PFVO whose status already holds every Module verified for its spec: a cluster at rest. */
function preflight(n: number, modules: readonly Module[], verified: boolean): KubeObject {
  const at = "2026-12-01T10:00:00Z";
  const entries: PreflightModuleStatus[] = modules.map((m) => ({
    namespace: m.metadata.namespace!,
    name: m.metadata.name!,
    lastTransitionTime: at,
    statusReason: `registry.example.com/kmm/${m.metadata.name}:${KERNEL} holds /opt/lib/modules/${KERNEL}/extra/${m.spec.moduleLoader!.container.modprobe.moduleName}.ko`,
    verificationStage: "image",
    verificationStatus: "true",
    specHash: moduleSpecHash(m),
    lastCheckTime: at,
  }));
  return {
    apiVersion: "kmm.sigs.x-k8s.io/v1beta2",
    kind: "PreflightValidationOCP",
    metadata: { name: `upgrade-${n}` },
    spec: { releaseImage: `quay.io/openshift-release-dev/ocp-release@sha256:${String(n).repeat(64).slice(0, 64)}` },
    status: { kernelVersion: KERNEL, ...(verified && { modules: entries }) },
  };
}

interface Figures {
  readonly modules: number;
  readonly firstPassMs: number;
  readonly firstPassRequests: number;
  readonly sweepMs: number[];
  readonly requestsPerSweep: number;
  readonly rssMb: number;
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const writes = (api: KubeApiServer) => api.requests.filter((r) => !r.watch).length;

async function measure(n: number): Promise<Figures> {
  const dir = await mkdtemp(path.join(tmpdir(), "bench-runner-"));
  const api = await startKubeApiServer({ historyLimit: 100_000 });
  const modules = Array.from({ length: n }, (_, i) => module(i));
  api.seed(...(modules as unknown as KubeObject[]));
  // Two PFVOs at rest, one fresh: the first pass writes its status and starts Jobs up to the cap.
  api.seed(preflight(1, modules, true), preflight(2, modules, true), preflight(3, modules, false));
  const kubeconfig = path.join(dir, "kubeconfig");
  await writeFile(kubeconfig, api.kubeConfig().exportConfig());
  const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", "bench/runner/runner-child.ts", kubeconfig], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => JSON.parse(((await lines.next()).value as string) ?? "{}") as Record<string, number>;
  try {
    const started = performance.now();
    api.clearRequests();
    await next(); // ready: caches synced and the first pass done
    const firstPassMs = performance.now() - started;
    // Writes only: the initial LISTs of the caches are not the pass's.
    const firstPassRequests = api.requests.filter((r) => !r.watch && r.method !== "GET").length;
    // One more pass lets the fresh PFVO's entries move from "starting" to "running" (its Jobs appeared
    // in the cache): from then on nothing changes, which is what a steady-state sweep measures.
    child.stdin!.write("sweep\n");
    await next();
    const sweepMs: number[] = [];
    let rss = 0;
    api.clearRequests();
    for (let i = 0; i < sweeps; i++) {
      child.stdin!.write("sweep\n");
      const r = await next();
      sweepMs.push(r["ms"]!);
      rss = Math.max(rss, r["rss"]!);
    }
    const requestsPerSweep = writes(api) / sweeps;
    return { modules: n, firstPassMs, firstPassRequests, sweepMs, requestsPerSweep, rssMb: rss / 1024 / 1024 };
  } finally {
    child.stdin!.end();
    await Promise.race([once(child, "exit"), new Promise((r) => setTimeout(r, 5000))]);
    if (child.exitCode === null) child.kill("SIGKILL");
    await api.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const results: Figures[] = [];
for (const n of sizes) results.push(await measure(n));
const base = results[0]!;
const pad = (s: string | number, w: number) => String(s).padStart(w);
console.log(`runner sweep, ${PREFLIGHTS} PreflightValidationOCPs, ${NAMESPACES} namespaces, ${sweeps} sweeps per size (node ${process.version})`);
console.log(`${"modules".padStart(8)} ${"first pass".padStart(11)} ${"1st reqs".padStart(9)} ${"sweep p50".padStart(10)} ${"min".padStart(8)} ${"max".padStart(8)} ${"vs 100".padStart(8)} ${"reqs/sweep".padStart(11)} ${"RSS MB".padStart(8)}`);
for (const r of results) {
  const p50 = median(r.sweepMs);
  console.log(
    `${pad(r.modules, 8)} ${pad(`${r.firstPassMs.toFixed(0)} ms`, 11)} ${pad(r.firstPassRequests, 9)} ${pad(`${p50.toFixed(1)} ms`, 10)} ${pad(Math.min(...r.sweepMs).toFixed(1), 8)} ${pad(Math.max(...r.sweepMs).toFixed(1), 8)} ${pad(`${(p50 / median(base.sweepMs)).toFixed(1)}x`, 8)} ${pad(r.requestsPerSweep, 11)} ${pad(r.rssMb.toFixed(0), 8)}`,
  );
}
const last = results.at(-1)!;
console.log(`targets at ${last.modules} x ${PREFLIGHTS}: sweep < 2000 ms: ${median(last.sweepMs) < 2000 ? "met" : "NOT met"}; requests per sweep independent of Modules: ${results.every((r) => r.requestsPerSweep === base.requestsPerSweep) ? "met" : "NOT met"}; RSS < 300 MB: ${last.rssMb < 300 ? "met" : "NOT met"}`);
if (values.json) await writeFile(values.json, JSON.stringify({ node: process.version, preflights: PREFLIGHTS, namespaces: NAMESPACES, results }, null, 2));
process.exit(0);

// Memory benchmark (not a test): resident memory (RSS) of the kmm-preflight server idle, under the
// largest admission reviews it accepts, and with the caches of a large cluster, beside a bare
// node:https server measured in the same run, on the Node the image ships (24). Its figures set the
// Deployment's memory request and limit (README, "Resources").
//   npm run bench:memory -- [--node PATH] [--node-options "--flag ..."] [--connections 24] [--load-seconds 10]
//     [--pfvos 10] [--status-modules 512] [--modules 5000] [--skip-cluster] [--env NAME=VALUE]... [--json FILE]
// --env passes a server setting (README, "Running the server"), e.g. --env BUFFERED_BODY_BYTES=1073741824.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import https from "node:https";
import http from "node:http";
import { createServer } from "node:net";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs, promisify } from "node:util";
import { VALIDATE_PREFLIGHT_PATH } from "../../src/api/index.js";
import { DEFAULT_BODY_LIMIT_BYTES } from "../../src/admission/http.js";
import { ensureCertificates } from "../../src/certs/cert-files.js";
import { startKubeApiServer } from "../../test/support/kube-api-server.js";
import { maximumReviewBody, preflight, statusModules } from "./review.js";

const { values } = parseArgs({
  options: {
    node: { type: "string" },
    connections: { type: "string", default: "24" },
    "load-seconds": { type: "string", default: "10" },
    pfvos: { type: "string", default: "10" },
    "status-modules": { type: "string", default: "512" },
    modules: { type: "string", default: "5000" },
    "node-options": { type: "string" },
    "skip-cluster": { type: "boolean", default: false },
    env: { type: "string", multiple: true },
    json: { type: "string" },
  },
});
const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const connections = Number(values.connections);
const loadSeconds = Number(values["load-seconds"]);
const cluster = { pfvos: Number(values.pfvos), statusModules: Number(values["status-modules"]), modules: Number(values.modules) };
const run = promisify(execFile);
const MB = 1e6;

/** The image's NODE_OPTIONS (Dockerfile), so the server runs as it does in a pod. */
async function imageNodeOptions(): Promise<string> {
  const dockerfile = await readFile(path.join(REPO, "Dockerfile"), "utf8");
  return /NODE_OPTIONS=("[^"]*"|\S+)/.exec(dockerfile)?.[1]?.replace(/^"|"$/g, "") ?? "";
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/** VmRSS and VmHWM (peak RSS since start) of a process, in bytes. */
async function memoryOf(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb("VmRSS"), peak: kb("VmHWM") };
}

/** RSS every 100 ms while `during` runs: the median and the highest sample. */
async function sampleWhile(pid: number, during: Promise<unknown>): Promise<{ median: number; max: number }> {
  const samples: number[] = [];
  let done = false;
  void during.finally(() => (done = true));
  while (!done) {
    samples.push((await memoryOf(pid)).rss);
    await sleep(100);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)] ?? 0, max: samples.at(-1) ?? 0 };
}

function get(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const lib = url.startsWith("https:") ? https : http;
    lib
      .get(url, { ca, servername: "localhost" }, (res) => {
        let body = "";
        res.on("data", (c) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on("error", reject);
  });
}

async function until(what: string, cond: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

const children: ChildProcess[] = [];
function start(node: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(node, args, { env, stdio: ["ignore", "ignore", "inherit"] });
  children.push(child);
  return child;
}

interface Figures {
  idle: { median: number; max: number };
  load?: { median: number; max: number; peak: number; answered: number; failed: number };
}

const dir = await mkdtemp(path.join(tmpdir(), "kmm-preflight-bench-memory-"));
const api = await startKubeApiServer();
try {
  const node = values.node ?? (await run("bash", [path.join(REPO, "scripts/node24.sh")])).stdout.trim();
  const nodeVersion = (await run(node, ["--version"])).stdout.trim();
  // The image's, unless --node-options says otherwise (to try a flag before it goes in the Dockerfile).
  const nodeOptions = values["node-options"] ?? (await imageNodeOptions());
  await ensureCertificates(path.join(dir, "certs"), { serviceName: "kmm-preflight", namespace: "kmm-preflight" });
  const caFile = path.join(dir, "certs", "ca.crt");
  const ca = await readFile(caFile, "utf8");
  const bodyFile = path.join(dir, "review.json");
  const body = maximumReviewBody(DEFAULT_BODY_LIMIT_BYTES);
  await writeFile(bodyFile, body);
  const baselineFile = path.join(dir, "bare-https-server.mjs");
  await run(path.join(REPO, "node_modules/.bin/esbuild"), [path.join(REPO, "bench/memory/bare-https-server.ts"), "--format=esm", "--platform=node", `--outfile=${baselineFile}`, "--log-level=warning"]);

  console.log(
    `memory benchmark: ${nodeVersion} (${node}), NODE_OPTIONS=${JSON.stringify(nodeOptions)}, ${cpus().length} cores; load: ${connections} connections, ${loadSeconds} s, ` +
      `AdmissionReview of ${(body.length / MB).toFixed(2)} MB (the body limit); large cluster: ${cluster.pfvos} PreflightValidationOCPs with ${cluster.statusModules} status.modules each, ${cluster.modules} Modules`,
  );

  const load = async (url: string, pid: number) => {
    const child = execFile(process.execPath, ["--import", "tsx", path.join(REPO, "bench/memory/load.ts"), url, String(connections), String(loadSeconds), bodyFile], { env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile } });
    let out = "";
    child.stdout!.on("data", (c) => (out += c));
    const finished = new Promise<void>((resolve, reject) => child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`load exited ${code}`)))));
    const rss = await sampleWhile(pid, finished);
    await finished;
    return { ...rss, peak: (await memoryOf(pid)).peak, ...(JSON.parse(out) as { answered: number; failed: number }) };
  };
  const idle = async (pid: number) => {
    await sleep(3000);
    return sampleWhile(pid, sleep(2000));
  };

  // 1. The baseline: bare node:https.
  const basePort = await freePort();
  const base = start(node, [baselineFile, String(basePort), path.join(dir, "certs")], {});
  await until("the baseline", async () => (await get(`https://127.0.0.1:${basePort}/`, ca)).status === 200, 30_000);
  const baseline: Figures = { idle: await idle(base.pid!) };
  baseline.load = await load(`https://127.0.0.1:${basePort}/`, base.pid!);
  base.kill("SIGTERM");

  // 2. kmm-preflight with no cluster: idle, then under load.
  const ours = async (env: NodeJS.ProcessEnv, ready: (port: number, metricsPort: number) => Promise<boolean>) => {
    const [port, metricsPort] = [await freePort(), await freePort()];
    const child = start(node, [path.join(REPO, "dist/cli/main.js"), "serve"], {
      PATH: process.env["PATH"],
      NODE_OPTIONS: nodeOptions,
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      HOST: "127.0.0.1",
      CERT_DIR: path.join(dir, "certs"),
      LOG_LEVEL: "info",
      ...Object.fromEntries((values.env ?? []).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)])),
      ...env,
    });
    await until("kmm-preflight", () => ready(port, metricsPort), 180_000);
    return { child, port };
  };
  const healthy = async (port: number) => (await get(`https://127.0.0.1:${port}/healthz`, ca)).status === 200;
  const alone = await ours({ NO_CLUSTER: "true" }, healthy);
  const noCluster: Figures = { idle: await idle(alone.child.pid!) };
  noCluster.load = await load(`https://127.0.0.1:${alone.port}${VALIDATE_PREFLIGHT_PATH}`, alone.child.pid!);
  alone.child.kill("SIGTERM");

  // 3. kmm-preflight leading in a large cluster: its caches hold every PreflightValidationOCP and Module,
  // and its runner plans and creates the validation Jobs (up to MAX_RUNNING_JOBS) as in a cluster.
  let largeCluster: Figures | undefined;
  if (!values["skip-cluster"]) {
  const kubeconfig = path.join(dir, "kubeconfig");
  await writeFile(kubeconfig, api.kubeConfig().exportConfig());
  api.seed({ apiVersion: "v1", kind: "Namespace", metadata: { name: "kmm-preflight" } });
  const entries = statusModules(cluster.statusModules, 160);
  for (let i = 0; i < cluster.pfvos; i++) api.seed(preflight(`preflight-${i}`, entries) as never);
  for (let i = 0; i < cluster.modules; i++) {
    api.seed({
      apiVersion: "kmm.sigs.x-k8s.io/v1beta1",
      kind: "Module",
      metadata: { name: `driver-${i}`, namespace: `team-${i % 50}` },
      spec: { moduleLoader: { container: { modprobe: { moduleName: `driver_${i}` }, kernelMappings: [{ regexp: "^.+$", containerImage: `registry.example.com/kmm/driver-${i}:\${KERNEL_FULL_VERSION}` }] } }, selector: { "node-role.kubernetes.io/worker": "" } },
    } as never);
  }
  const expected = cluster.pfvos * cluster.statusModules;
  const synced = async (_port: number, metricsPort: number) => {
    const text = (await get(`http://127.0.0.1:${metricsPort}/metrics`, ca)).body;
    const counted = [...text.matchAll(/^kmm_preflight_modules\{[^}]*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    return /^kmm_preflight_leader 1$/m.test(text) && counted === expected;
  };
  const leader = await ours({ KUBECONFIG: kubeconfig, LEADER_ELECT: "true", POD_NAMESPACE: "kmm-preflight", POD_NAME: "bench" }, synced);
  largeCluster = { idle: await idle(leader.child.pid!) };
  largeCluster.load = await load(`https://127.0.0.1:${leader.port}${VALIDATE_PREFLIGHT_PATH}`, leader.child.pid!);
  leader.child.kill("SIGTERM");
  }

  const mb = (n: number) => (n / MB).toFixed(1).padStart(7);
  const rows: [string, Figures][] = [
    ["bare node:https (baseline)", baseline],
    ["kmm-preflight, no cluster", noCluster],
    ...(largeCluster ? [["kmm-preflight, large cluster", largeCluster] as [string, Figures]] : []),
  ];
  console.log(`\n${"target".padEnd(30)}${"idle RSS MB".padStart(13)}${"load RSS median".padStart(17)}${"load RSS max".padStart(14)}${"peak (VmHWM)".padStart(14)}${"answered".padStart(10)}${"failed".padStart(8)}`);
  for (const [name, f] of rows) {
    console.log(`${name.padEnd(30)}${mb(f.idle.median).padStart(13)}${mb(f.load!.median).padStart(17)}${mb(f.load!.max).padStart(14)}${mb(f.load!.peak).padStart(14)}${String(f.load!.answered).padStart(10)}${String(f.load!.failed).padStart(8)}`);
  }
  const MiB = 1024 * 1024;
  const roundUp = (bytes: number, step: number) => Math.ceil(bytes / MiB / step) * step;
  const idleBytes = (largeCluster ?? noCluster).idle.median;
  const peakBytes = Math.max(largeCluster?.load!.peak ?? 0, noCluster.load!.peak);
  const request = roundUp(idleBytes * 1.1, 16);
  const limit = roundUp(peakBytes * 1.25, 32);
  console.log(`\nover the baseline: idle +${mb(noCluster.idle.median - baseline.idle.median).trim()} MB (no cluster)${largeCluster ? `, +${mb(largeCluster.idle.median - baseline.idle.median).trim()} MB (large cluster)` : ""}; under load, peak +${mb(noCluster.load!.peak - baseline.load!.peak).trim()} MB`);
  console.log(`resources from these figures: requests.memory ${request}Mi (idle${largeCluster ? " with the large cluster's caches" : ""} + 10%), limits.memory ${limit}Mi (peak under load + 25%)`);
  if (values.json) {
    await mkdir(path.dirname(values.json), { recursive: true });
    await writeFile(values.json, JSON.stringify({ node: nodeVersion, nodeOptions, cores: cpus().length, connections, loadSeconds, reviewBytes: body.length, cluster, baseline, noCluster, largeCluster, request, limit }, null, 2));
    console.log(`wrote ${values.json}`);
  }
} finally {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  await api.close();
  await rm(dir, { recursive: true, force: true });
}

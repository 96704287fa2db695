// Admission benchmark (not a test): kmm-preflight's webhooks over HTTPS against servers that do no work,
// each driven by autocannon from a separate process, at several concurrencies.
//   npm run bench:admission -- [--duration 10] [--connections 1,16,64] [--rounds 1] [--json bench/results/admission.json]
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import https from "node:https";
import { createServer } from "node:net";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { MUTATE_PREFLIGHT_PATH, VALIDATE_PREFLIGHT_PATH } from "../../src/api/index.js";
import { ensureCertificates } from "../../src/certs/cert-files.js";
import { admissionReviewBody } from "./review-body.js";

const { values } = parseArgs({
  options: { duration: { type: "string", default: "10" }, connections: { type: "string", default: "1,16,64" }, rounds: { type: "string", default: "1" }, json: { type: "string" } },
});
const duration = Number(values.duration);
const levels = values.connections!.split(",").map(Number);
const rounds = Number(values.rounds);
const here = path.dirname(new URL(import.meta.url).pathname);

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

function post(port: number, ca: string, p: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: "127.0.0.1", port, path: p, method: "POST", ca, servername: "localhost", headers: { "content-type": "application/json" } }, (res) => {
      let out = "";
      res.on("data", (c) => (out += c));
      res.on("end", () => resolve(out));
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function waitReady(port: number, ca: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await post(port, ca, "/", "{}");
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`server on ${port} did not start`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

interface Load {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  timeouts: number;
}

function load(url: string, connections: number, seconds: number, bodyFile: string, ca: string): Promise<Load> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, ["--import", "tsx", path.join(here, "load.ts"), url, String(connections), String(seconds), bodyFile], { env: { ...process.env, NODE_EXTRA_CA_CERTS: ca } }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as Load),
    ),
  );
}

const children: ChildProcess[] = [];
const dir = await mkdtemp(path.join(tmpdir(), "kmm-preflight-bench-"));
try {
  await ensureCertificates(dir, { serviceName: "kmm-preflight", namespace: "kmm-preflight" });
  const caFile = path.join(dir, "ca.crt");
  const ca = await readFile(caFile, "utf8");
  const bodyFile = path.join(dir, "review.json");
  const body = admissionReviewBody();
  await writeFile(bodyFile, body);

  // kmm-preflight as it runs in a cluster (built JavaScript, info logs to a pipe nobody reads fast: /dev/null).
  const ours = await freePort();
  children.push(
    spawn(process.execPath, ["dist/cli/main.js", "serve"], {
      env: { ...process.env, PORT: String(ours), METRICS_PORT: "0", HOST: "127.0.0.1", CERT_DIR: dir, NO_CLUSTER: "true", LOG_LEVEL: "info" },
      stdio: "ignore",
    }),
  );
  await waitReady(ours, ca);
  const answer = await post(ours, ca, VALIDATE_PREFLIGHT_PATH, body);
  if (!JSON.parse(answer).response?.allowed) throw new Error(`the benchmark body is not admitted: ${answer}`);
  const responseFile = path.join(dir, "response.json");
  await writeFile(responseFile, answer);

  const baselines: Record<string, number> = {};
  for (const kind of ["node-https", "node-https-parse", "express"]) {
    baselines[kind] = await freePort();
    children.push(spawn(process.execPath, ["--import", "tsx", path.join(here, "baseline-server.ts"), kind, String(baselines[kind]), dir, responseFile], { stdio: "ignore" }));
    await waitReady(baselines[kind]!, ca);
  }

  const targets = [
    { name: "kmm-preflight validate", url: `https://localhost:${ours}${VALIDATE_PREFLIGHT_PATH}` },
    { name: "kmm-preflight mutate", url: `https://localhost:${ours}${MUTATE_PREFLIGHT_PATH}` },
    { name: "baseline node:https", url: `https://localhost:${baselines["node-https"]}/` },
    { name: "node:https + JSON.parse", url: `https://localhost:${baselines["node-https-parse"]}/` },
    { name: "baseline express", url: `https://localhost:${baselines["express"]}/` },
  ];
  console.log(`admission benchmark: ${cpus().length} cores, ${duration} s per run, ${rounds} round(s), request ${Buffer.byteLength(body)} B, response ${Buffer.byteLength(answer)} B, node ${process.version}`);
  for (const t of targets) await load(t.url, 8, 2, bodyFile, caFile); // warm-up: JIT, TLS session setup
  // Rounds interleave the targets, so a noisy minute on a shared machine does not land on one of them;
  // each figure is the median over the rounds.
  const runs: { target: string; connections: number; result: Load }[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const t of targets) {
      for (const c of levels) runs.push({ target: t.name, connections: c, result: await load(t.url, c, duration, bodyFile, caFile) });
    }
  }
  const median = (xs: Load[], key: "rps" | "p50" | "p99") => [...xs].sort((a, b) => a[key] - b[key])[Math.floor(xs.length / 2)]!;
  const results = targets.flatMap((t) =>
    levels.map((c) => {
      const mine = runs.filter((r) => r.target === t.name && r.connections === c).map((r) => r.result);
      return { target: t.name, connections: c, result: { ...median(mine, "rps"), p50: median(mine, "p50").p50, p99: median(mine, "p99").p99 } };
    }),
  );

  const pad = (s: string | number, n: number) => String(s).padEnd(n);
  console.log(`\n${pad("target", 26)}${pad("conns", 7)}${pad("req/s", 10)}${pad("p50 ms", 9)}${pad("p99 ms", 9)}errors`);
  for (const r of results) {
    console.log(`${pad(r.target, 26)}${pad(r.connections, 7)}${pad(r.result.rps.toFixed(0), 10)}${pad(r.result.p50, 9)}${pad(r.result.p99, 9)}${r.result.errors + r.result.non2xx + r.result.timeouts}`);
  }

  const at = (target: string, c: number) => results.find((r) => r.target === target && r.connections === c)?.result;
  const c16 = levels.includes(16) ? 16 : levels[Math.floor(levels.length / 2)]!;
  console.log(`\ntargets at ${c16} connections:`);
  const base = at("baseline node:https", c16)!;
  const floor = at("node:https + JSON.parse", c16)!;
  const ex = at("baseline express", c16)!;
  const pct = (a: Load, b: Load) => `${((a.rps / b.rps) * 100).toFixed(0)}%`;
  for (const name of ["kmm-preflight validate", "kmm-preflight mutate"]) {
    const r = at(name, c16)!;
    const ratio = r.rps / base.rps;
    console.log(
      `  ${name}: p99 ${r.p99} ms (target < 5 ms: ${r.p99 < 5 ? "PASS" : "FAIL"}); ${(ratio * 100).toFixed(0)}% of bare node:https throughput (target >= 70%: ${ratio >= 0.7 ? "PASS" : "FAIL"}); ${pct(r, floor)} of node:https + JSON.parse; ${pct(r, ex)} of bare express`,
    );
  }
  console.log(`  for scale: node:https + JSON.parse, which only parses the request, reaches ${pct(floor, base)} of bare node:https`);
  if (values.json) {
    await mkdir(path.dirname(values.json), { recursive: true });
    await writeFile(values.json, JSON.stringify({ node: process.version, cores: cpus().length, durationSeconds: duration, rounds, results, runs }, null, 2));
    console.log(`\nwrote ${values.json}`);
  }
} finally {
  for (const c of children) c.kill("SIGTERM");
  await rm(dir, { recursive: true, force: true });
}

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PREFLIGHT_API_VERSION, PREFLIGHT_KIND } from "../src/api/index.js";
import { openPreflightReader } from "../src/kube/preflight-read.js";
import { startKubeApiServer, type KubeApiServer, type KubeObject } from "./support/kube-api-server.js";

// `kmm-preflight status` as an operator runs it: a process reading the in-memory API server through
// a kubeconfig file, its output and its exit code.

const RELEASE = "quay.io/openshift-release-dev/ocp-release@sha256:22e149142517dfccb47be828f012659b1ccf71d26620e6f62468c264a7ce7863";
const HOUR_AGO = () => new Date(Date.now() - 3600_000).toISOString();

function pfvo(name: string, modules?: Record<string, unknown>[]): KubeObject {
  return { apiVersion: PREFLIGHT_API_VERSION, kind: PREFLIGHT_KIND, metadata: { name }, spec: { releaseImage: RELEASE }, ...(modules && { status: { modules } }) };
}

const mod = (namespace: string, name: string, verificationStatus: string, statusReason: string) =>
  ({ namespace, name, verificationStatus, verificationStage: "image", lastTransitionTime: HOUR_AGO(), statusReason });

const UPGRADE = pfvo("upgrade-4-18", [
  mod("drivers", "nic", "true", "registry.example.com/kmm/nic:5.14 holds /opt/lib/modules/5.14/extra/nic.ko"),
  mod("drivers", "gpu", "error", "cannot pull registry.example.com/kmm/gpu:5.14: 401 Unauthorized; fix spec.imageRepoSecret"),
  mod("storage", "fs", "false", "no kernel mapping matches 5.14.0-427.el9.x86_64"),
]);
const READY = pfvo("ready-4-17", [mod("drivers", "gpu", "true", "verified")]);
const FRESH = pfvo("fresh-4-19");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI in a child with no cluster configured but what `env` adds: HOME is an empty directory. */
function cli(args: string[], home: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const base = { ...process.env };
  for (const k of ["KUBECONFIG", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"]) delete base[k];
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", "src/cli/main.ts", "status", ...args], { timeout: 30_000, env: { ...base, HOME: home, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Runs `fn` with an API server holding `objects`, its kubeconfig in a file, and an empty HOME; cleans all up. */
async function withCluster(objects: KubeObject[], fn: (ctx: { server: KubeApiServer; kubeconfig: string; home: string }) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), "kmm-preflight-status-"));
  const server = await startKubeApiServer();
  try {
    server.seed(...objects);
    const kubeconfig = path.join(dir, "kubeconfig");
    await writeFile(kubeconfig, server.kubeConfig().exportConfig());
    const home = path.join(dir, "home");
    await mkdir(home);
    await fn({ server, kubeconfig, home });
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

describe("kmm-preflight status", () => {
  it("lists every PreflightValidationOCP, problems first, and exits 1 when a Module is not verified", async () => {
    await withCluster([UPGRADE, READY, FRESH], async ({ kubeconfig, home }) => {
      const r = await cli(["--kubeconfig", kubeconfig], home);
      assert.equal(r.code, 1, r.stderr);
      const blocks = r.stdout.trimEnd().split("\n\n");
      assert.equal(blocks.length, 3);
      assert.equal(blocks[0], `PreflightValidationOCP fresh-4-19 (release ${RELEASE}): no Module has been validated yet`);
      assert.match(blocks[1]!, /^PreflightValidationOCP ready-4-17 .*: 1 verified, 0 failed, 0 error, 0 pending\n/);
      const lines = blocks[2]!.split("\n");
      assert.equal(lines[0], `PreflightValidationOCP upgrade-4-18 (release ${RELEASE}): 1 verified, 1 failed, 1 error, 0 pending`);
      assert.match(lines[1]!, /^NAMESPACE\/NAME\s+STATUS\s+STAGE\s+SINCE\s+REASON$/);
      assert.match(lines[2]!, /^drivers\/gpu\s+error\s+image\s+60m\s+cannot pull registry\.example\.com\/kmm\/gpu:5\.14: 401 Unauthorized; fix spec\.imageRepoSecret$/);
      assert.match(lines[3]!, /^storage\/fs\s+false\s+image\s+60m\s+no kernel mapping/);
      assert.match(lines[4]!, /^drivers\/nic\s+true\s/);
      assert.equal(r.stderr, "");
    });
  });

  it("shows one PreflightValidationOCP by name and exits 0 when all its Modules are verified (KUBECONFIG works too)", async () => {
    await withCluster([UPGRADE, READY], async ({ kubeconfig, home }) => {
      const r = await cli(["ready-4-17"], home, { KUBECONFIG: kubeconfig });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^PreflightValidationOCP ready-4-17 /);
      assert.doesNotMatch(r.stdout, /upgrade-4-18/);
    });
  });

  it("with --module shows that Module in every PreflightValidationOCP", async () => {
    await withCluster([UPGRADE, READY, FRESH], async ({ kubeconfig, home }) => {
      const r = await cli(["--kubeconfig", kubeconfig, "--module", "drivers/gpu"], home);
      assert.equal(r.code, 1, r.stderr);
      const rows = r.stdout.split("\n").filter((l) => l.startsWith("drivers/"));
      assert.deepEqual(rows.map((l) => l.split(/\s+/).slice(0, 2).join(" ")), ["drivers/gpu true", "drivers/gpu error"]);
      assert.match(r.stdout, /fresh-4-19 .*: no Module has been validated yet/);
    });
  });

  it("with --module also shows the Module's validation Jobs: Pod phase, exit code and what the check said", async () => {
    const owner = { apiVersion: PREFLIGHT_API_VERSION, kind: PREFLIGHT_KIND, name: "upgrade-4-18", uid: "pf-uid", controller: true };
    const labels = { "app.kubernetes.io/managed-by": "kmm-preflight", "kmm.node.kubernetes.io/module.name": "gpu", "kmm.node.kubernetes.io/job-type": "image" };
    const job: KubeObject = {
      apiVersion: "batch/v1", kind: "Job", metadata: { name: "preflight-image-gpu-0123456789", namespace: "drivers", uid: "job-uid", labels, ownerReferences: [owner] },
      spec: { activeDeadlineSeconds: 600, template: { spec: { containers: [] } } },
      status: { conditions: [{ type: "Failed", status: "True", reason: "BackoffLimitExceeded", lastTransitionTime: HOUR_AGO() }] },
    };
    const message = JSON.stringify({ version: 1, results: [{ namespace: "drivers", name: "gpu", verificationStatus: "error", reason: "registry answered 401 Unauthorized" }], errors: [] });
    const pod: KubeObject = {
      apiVersion: "v1", kind: "Pod", metadata: { name: "preflight-image-gpu-0123456789-x1y2z", namespace: "drivers", labels, ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: "preflight-image-gpu-0123456789", uid: "job-uid", controller: true }] },
      status: { phase: "Failed", containerStatuses: [{ name: "check", state: { terminated: { exitCode: 2, reason: "Error", message } } }] },
    };
    const other: KubeObject = { ...pod, metadata: { ...pod.metadata, name: "unrelated", labels: { ...labels, "kmm.node.kubernetes.io/module.name": "nic" } } };
    await withCluster([UPGRADE, job, pod, other], async ({ kubeconfig, home }) => {
      const r = await cli(["--kubeconfig", kubeconfig, "--module", "drivers/gpu"], home);
      assert.match(r.stdout, /Validation Jobs of Module drivers\/gpu \(kubectl logs -n drivers job\/<JOB>\):/);
      const row = r.stdout.split("\n").find((l) => l.startsWith("upgrade-4-18 "))!;
      const cells = row.split(/\s+/);
      assert.deepEqual([...cells.slice(0, 3), ...cells.slice(4, 7)], ["upgrade-4-18", "preflight-image-gpu-0123456789", "image", "Failed", "2", "Error"]);
      assert.match(cells[3]!, /^\d+s$/, "the Job's age");
      assert.match(row, /error: registry answered 401 Unauthorized$/);
      const json = JSON.parse((await cli(["--kubeconfig", kubeconfig, "--module", "drivers/gpu", "-o", "json"], home)).stdout) as { jobs: { name: string; exitCode: number; outcome: string }[] }[];
      assert.deepEqual(json[0]!.jobs.map((j) => [j.name, j.exitCode, j.outcome]), [["preflight-image-gpu-0123456789", 2, "error: registry answered 401 Unauthorized"]]);
    });
  });

  it("with --module naming a Module in no status says so, hints at kubectl get module, and exits 1", async () => {
    await withCluster([UPGRADE], async ({ kubeconfig, home }) => {
      const r = await cli(["upgrade-4-18", "--kubeconfig", kubeconfig, "--module", "drivers/fpga"], home);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout, /upgrade-4-18 .*: Module drivers\/fpga is not in its status yet/);
      assert.match(r.stdout, /kubectl get module -n drivers fpga\n$/);
    });
  });

  it("rejects a malformed --module with exit code 2, naming the flag", async () => {
    const home = await mkdtemp(path.join(tmpdir(), "kmm-preflight-status-home-"));
    try {
      const r = await cli(["--module", "Drivers/gpu"], home);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /--module "Drivers\/gpu": namespace "Drivers": a lowercase RFC 1123 label/);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it("with -o json prints a stable document for pipelines", async () => {
    await withCluster([UPGRADE, FRESH], async ({ kubeconfig, home }) => {
      const r = await cli(["--kubeconfig", kubeconfig, "-o", "json"], home);
      assert.equal(r.code, 1, r.stderr);
      const doc = JSON.parse(r.stdout) as { name: string; releaseImage: string; note: string | null; moduleMissing: boolean; counts: unknown; modules: { namespace: string; name: string; verificationStatus: string }[] }[];
      assert.deepEqual(doc.map((p) => [p.name, p.releaseImage, p.note, p.moduleMissing, p.counts]), [
        ["fresh-4-19", RELEASE, "no Module has been validated yet", false, { verified: 0, failed: 0, error: 0, pending: 0 }],
        ["upgrade-4-18", RELEASE, null, false, { verified: 1, failed: 1, error: 1, pending: 0 }],
      ]);
      assert.deepEqual(Object.keys(doc[1]!), ["name", "releaseImage", "useRTKernel", "note", "moduleMissing", "counts", "jobs", "modules"]);
      assert.deepEqual(doc[1]!.modules.map((m) => `${m.namespace}/${m.name}=${m.verificationStatus}`), ["drivers/gpu=error", "drivers/nic=true", "storage/fs=false"]);
      assert.deepEqual(Object.keys(doc[1]!.modules[0]!), ["namespace", "name", "verificationStatus", "verificationStage", "lastTransitionTime", "statusReason"]);
    });
  });

  it("exits 2 for a PreflightValidationOCP that does not exist, saying how to list them", async () => {
    await withCluster([UPGRADE], async ({ kubeconfig, home }) => {
      const r = await cli(["upgrade-4-20", "--kubeconfig", kubeconfig], home);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, /^error: PreflightValidationOCP "upgrade-4-20" not found on http:\/\/127\.0\.0\.1:\d+; `kubectl get pfvo` lists them\n$/);
    });
  });

  it("exits 2 with the HTTP code and the server's message when the API server fails", async () => {
    await withCluster([UPGRADE], async ({ server, kubeconfig, home }) => {
      server.faults.failNext(1, 500);
      const r = await cli(["--kubeconfig", kubeconfig], home);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, /^error: cannot list PreflightValidationOCPs from http:\/\/127\.0\.0\.1:\d+: HTTP 500: Internal error occurred: injected fault\n$/);
    });
  });

  it("exits 2 and says how to point at a cluster when none is configured", async () => {
    const home = await mkdtemp(path.join(tmpdir(), "kmm-preflight-status-home-"));
    try {
      const r = await cli([], home);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^error: no cluster configured: .*--kubeconfig <file>, \$KUBECONFIG/);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it("exits 2 when KUBECONFIG names no existing file", async () => {
    const home = await mkdtemp(path.join(tmpdir(), "kmm-preflight-status-home-"));
    try {
      const r = await cli([], home, { KUBECONFIG: path.join(home, "nope") });
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^error: KUBECONFIG names no existing file/);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});

describe("openPreflightReader()", () => {
  describe("given an API server that does not answer", () => {
    it("gives up after requestTimeoutMs with a one-line error", async () => {
      await withCluster([], async ({ server, kubeconfig }) => {
        server.faults.hang();
        const reader = openPreflightReader({ kubeconfig, requestTimeoutMs: 200 });
        assert.ok(reader);
        await assert.rejects(reader.list(), /^PreflightReadError: cannot list PreflightValidationOCPs from http:\/\/127\.0\.0\.1:\d+: no answer within 200 ms$/);
      });
    });
  });

  describe("given a missing CRD", () => {
    it("lists with an error that asks whether the CRD is installed", async () => {
      const server = await startKubeApiServer({ replaceDefaults: true, resources: [] });
      const dir = await mkdtemp(path.join(tmpdir(), "kmm-preflight-status-"));
      try {
        const kubeconfig = path.join(dir, "kubeconfig");
        await writeFile(kubeconfig, server.kubeConfig().exportConfig());
        const reader = openPreflightReader({ kubeconfig });
        await assert.rejects(reader!.list(), /HTTP 404: .*is the PreflightValidationOCP CRD installed\?/);
      } finally {
        await server.close();
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Module, PreflightModuleStatus, PreflightValidationOCP } from "../src/api/index.js";
import { createEventRecorder } from "../src/kube/event-recorder.js";
import { JsonApi } from "../src/kube/json-api.js";
import { PREFLIGHTS } from "../src/kube/resources.js";
import { createWriter } from "../src/kube/writer.js";
import { createManager, type Manager } from "../src/manager/manager.js";
import { clusterWriter } from "../src/runner/kube-ports.js";
import { releaseKernelSource } from "../src/runner/release-kernel-source.js";
import { type RunnerConfig, startRunner } from "../src/runner/runner.js";
import { systemClock } from "../src/util/clock.js";
import { startFakeKubelet, type FakeKubelet } from "./support/fake-kubelet.js";
import { pushFakeRelease, type FakeRelease } from "./support/fake-release.js";
import { startKubeApiServer, type KubeApiServer, type KubeObject } from "./support/kube-api-server.js";
import { elfModule } from "./support/elf-module.js";
import { file, layer } from "./support/layers.js";
import { modinfoField, opensslVerify, scratch } from "./support/module-verify.js";
import { selfSigned } from "./support/signing-keys.js";
import { pushImage } from "./support/oci-image.js";
import { startRegistry, type RunningRegistry } from "./support/registry.js";
import { captureLog } from "./support/captured-log.js";
import { waitFor } from "./support/wait.js";

// The runner end to end: the test API server (through the real client-node), a real registry with a
// fake OpenShift release, and a stand-in kubelet that runs each Job's args through the real CLI.

const KERNEL = "5.14.0-427.26.1.el9_4.x86_64";
const PF = "preflightvalidationsocp.kmm.sigs.x-k8s.io";
const CONFIG: RunnerConfig = {
  jobImage: "kmm-preflight:test",
  sweepSchedule: "*/2 * * * * *",
  maxRunningJobs: 20,
  revalidateAfterMs: 600_000,
  jobDeadlineSeconds: 120,
  builderImage: "buildah:test",
  buildDeadlineSeconds: 300,
  errorBackoff: { initialMs: 500, maxMs: 2000 },
  stuckAfterMs: 1500,
};

let reg: RunningRegistry;
let release: FakeRelease;

before(async () => {
  reg = await startRegistry();
  release = await pushFakeRelease(reg, { tag: "4.16.3", kernel: KERNEL });
  await pushModuleImage("good");
  await pushModuleImage("private");
  // What a build stage starts from: the module's source build, as a (shell-less) image.
  await pushImage(reg, "kmm/src", "1", { layers: [await layer([file("src/built.ko", elfModule({ text: "built" })), file("src/signed.ko", elfModule({ text: "signed" }))])] });
});
after(async () => reg?.stop());

/** An image for the kernel holding `<name>.ko` where modprobe looks. */
async function pushModuleImage(name: string, repo = name): Promise<void> {
  await pushImage(reg, `kmm/${repo}`, KERNEL, { layers: [await layer([file(`opt/lib/modules/${KERNEL}/extra/${name}.ko`, "\x7fELF")])] });
}

function module(name: string, over: { image?: string; regexp?: string; secret?: string; loader?: false; build?: string; sign?: true } = {}): KubeObject {
  const m: Module = {
    apiVersion: "kmm.sigs.x-k8s.io/v1beta1",
    kind: "Module",
    metadata: { name, namespace: "drivers" },
    spec: {
      selector: { "kubernetes.io/os": "linux" },
      ...(over.secret && { imageRepoSecret: { name: over.secret } }),
      ...(over.loader !== false && {
        moduleLoader: {
          container: {
            modprobe: { moduleName: name },
            kernelMappings: [{ regexp: over.regexp ?? "^5\\.14\\.", containerImage: over.image ?? `${reg.host}/kmm/${name}:\${KERNEL_FULL_VERSION}`, registryTLS: { insecure: true } }],
            ...(over.build && { build: { dockerfileConfigMap: { name: over.build }, baseImageRegistryTLS: { insecure: true } } }),
            ...(over.sign && { sign: { keySecret: { name: "signing-key" }, certSecret: { name: "signing-cert" }, filesToSign: [`/opt/lib/modules/\${KERNEL_FULL_VERSION}/extra/${name}.ko`] } }),
          },
        },
      }),
    },
  };
  return m as unknown as KubeObject;
}

const pfvo = (name: string, pushBuiltImage = false): KubeObject => ({ apiVersion: "kmm.sigs.x-k8s.io/v1beta2", kind: "PreflightValidationOCP", metadata: { name }, spec: { releaseImage: release.releaseImage, pushBuiltImage, useRTKernel: false } });
const secretOf = (name: string, key: string, value: string): KubeObject => ({ apiVersion: "v1", kind: "Secret", metadata: { name, namespace: "drivers" }, data: { [key]: Buffer.from(value).toString("base64") } });
const dockerfile = (name: string, text: string): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "drivers" }, data: { dockerfile: text } });
const pullSecret = (name: string): KubeObject => ({
  apiVersion: "v1", kind: "Secret", metadata: { name, namespace: "drivers" }, type: "kubernetes.io/dockerconfigjson",
  data: { ".dockerconfigjson": Buffer.from(JSON.stringify({ auths: {} })).toString("base64") },
});

interface Cluster {
  api: KubeApiServer;
  kubelet: FakeKubelet;
  managers: Manager[];
  lines: Record<string, unknown>[];
  status(name: string): PreflightValidationOCP["status"];
  entry(pf: string, module: string): PreflightModuleStatus | undefined;
  jobs(): KubeObject[];
  stop(): Promise<void>;
}

/** The test API server, a fake kubelet and `runners` runners (with a Lease between them when more than one). */
async function cluster(seed: KubeObject[], o: { runners?: number; config?: Partial<RunnerConfig>; unpullable?: (image: string) => boolean } = {}): Promise<Cluster> {
  const api = await startKubeApiServer();
  api.seed(...seed);
  const kubelet = startFakeKubelet(api, { ...(o.unpullable && { unpullable: o.unpullable }) });
  const { log, lines } = captureLog();
  const managers: Manager[] = [];
  const n = o.runners ?? 1;
  for (let i = 0; i < n; i++) {
    const kc = api.kubeConfig();
    const manager = createManager({
      kc,
      log,
      ...(n > 1 && { leaderElection: { namespace: "default", name: "kmm-preflight", identity: `replica-${i}`, leaseDurationSeconds: 2, renewDeadlineSeconds: 1, retryPeriodSeconds: 0.2 } }),
    });
    const preflights = manager.informer<PreflightValidationOCP>("PreflightValidationOCP", { resource: PREFLIGHTS });
    const writer = createWriter(kc, { requestTimeoutMs: 5000 });
    startRunner({
      manager,
      preflights,
      writer: clusterWriter(writer, createEventRecorder(writer, { component: "kmm-preflight", instance: `replica-${i}`, clock: systemClock })),
      kernelSource: releaseKernelSource({ pullSecret: async () => undefined, log, clock: systemClock, insecureRegistries: [reg.host] }),
      config: { ...CONFIG, ...o.config },
      clock: systemClock,
      log,
    });
    manager.start();
    managers.push(manager);
  }
  const status = (name: string) => (api.get(PF, name) as PreflightValidationOCP | undefined)?.status;
  return {
    api,
    kubelet,
    managers,
    lines,
    status,
    entry: (pf, m) => status(pf)?.modules?.find((e) => e.name === m),
    jobs: () => api.objects("jobs.batch"),
    async stop() {
      await Promise.all(managers.map((m) => m.stop()));
      await kubelet.stop();
      await api.close();
    },
  };
}

const condition = (c: Cluster, pf: string, type: string) => c.status(pf)?.conditions?.find((x) => x.type === type);
const complete = (c: Cluster, pf: string) => condition(c, pf, "Complete")?.status === "True";
const verdicts = (c: Cluster, pf: string) => Object.fromEntries((c.status(pf)?.modules ?? []).map((e) => [e.name, e.verificationStatus]));

describe("the runner against the test API server, a real registry and the real CLI", () => {
  it("validates every Module of a new PreflightValidationOCP and reports each verdict, its kernel, conditions and Events", async () => {
    const c = await cluster([
      module("good"),
      module("missing"),
      module("unmapped", { regexp: "^4\\.18\\." }),
      module("private", { secret: "pull" }),
      pullSecret("pull"),
      module("nosecret", { secret: "absent" }),
      module("plugin", { loader: false }),
    ]);
    try {
      await new JsonApi(c.api.kubeConfig()).create(PREFLIGHTS, pfvo("upgrade"));
      await waitFor("Complete", () => complete(c, "upgrade"), 60_000);
      assert.deepEqual(verdicts(c, "upgrade"), { good: "true", missing: "false", unmapped: "false", private: "true", nosecret: "error", plugin: "true" });
      const s = c.status("upgrade")!;
      assert.equal(s.kernelVersion, KERNEL);
      assert.deepEqual(s.summary, { verified: 3, failed: 2, errors: 1, pending: 0 });
      assert.equal(condition(c, "upgrade", "Verified")!.status, "False");
      assert.match(c.entry("upgrade", "good")!.statusReason!, new RegExp(`holds /opt/lib/modules/${KERNEL.replace(/\./g, "\\.")}/extra/good\\.ko`));
      assert.match(c.entry("upgrade", "missing")!.statusReason!, /image does not exist/);
      assert.match(c.entry("upgrade", "unmapped")!.statusReason!, new RegExp(KERNEL.replace(/\./g, "\\.")));
      assert.match(c.entry("upgrade", "nosecret")!.statusReason!, /FailedMount: .*secret "absent" not found/);
      // A Job per Module that has an image to check; none for the unmapped one or the one without a loader.
      const jobs = c.jobs();
      assert.deepEqual(jobs.map((j) => j.metadata!.labels!["kmm.node.kubernetes.io/module.name"]).sort(), ["good", "missing", "nosecret", "private"]);
      for (const j of jobs) {
        assert.equal(j.metadata!.labels!["app.kubernetes.io/managed-by"], "kmm-preflight");
        assert.equal(j.metadata!.ownerReferences![0]!.kind, "PreflightValidationOCP");
      }
      // One Event per Module transition, recorded once the status that holds it has landed.
      const reasons = () => c.api.objects("events", "default").filter((e) => (e["involvedObject"] as { name?: string }).name === "upgrade").map((e) => e["reason"]).sort();
      await waitFor("an Event per verdict", () => reasons().length >= 6, 10_000);
      assert.deepEqual(reasons(), ["ModuleCheckError", "ModuleFailed", "ModuleFailed", "ModuleVerified", "ModuleVerified", "ModuleVerified"]);
    } finally {
      await c.stop();
    }
  });
});

describe("the runner over a Module's life", () => {
  it("retries a fixed Module, drops a deleted one (and its Job), and removes every Job with the PreflightValidationOCP", async () => {
    const c = await cluster([module("good"), module("broken", { image: `${"$"}{MOD_NAMESPACE}.invalid/x:1` }), module("later")]);
    try {
      const api = new JsonApi(c.api.kubeConfig());
      await api.create(PREFLIGHTS, pfvo("upgrade"));
      await waitFor("Complete", () => complete(c, "upgrade"), 60_000);
      assert.deepEqual(verdicts(c, "upgrade"), { good: "true", broken: "error", later: "false" });

      // Fixed: the Module now names an image that exists; it is validated again at once.
      c.api.modify("modules.kmm.sigs.x-k8s.io", "broken", "drivers", (m) => {
        const spec = m["spec"] as Module["spec"];
        spec.moduleLoader!.container.kernelMappings[0]!.containerImage = `${reg.host}/kmm/good:\${KERNEL_FULL_VERSION}`;
        spec.moduleLoader!.container.modprobe.moduleName = "good";
      });
      await waitFor("broken verified", () => c.entry("upgrade", "broken")?.verificationStatus === "true", 30_000);

      // Deleted: its entry leaves the status, and its Job goes.
      const laterJobs = () => c.jobs().filter((j) => j.metadata!.labels!["kmm.node.kubernetes.io/module.name"] === "later");
      assert.equal(laterJobs().length, 1);
      c.api.remove("modules.kmm.sigs.x-k8s.io", "later", "drivers");
      await waitFor("later gone from status", () => !c.entry("upgrade", "later"), 10_000);
      await waitFor("later's Job deleted", () => laterJobs().length === 0, 10_000);

      await api.delete(PREFLIGHTS, "upgrade", undefined, { propagationPolicy: "Background" });
      await waitFor("every Job removed with its owner", () => c.jobs().length === 0, 10_000);
    } finally {
      await c.stop();
    }
  });

  it("reports a Job whose image cannot be pulled as error with the kubelet's reason, within the grace period", async () => {
    const c = await cluster([module("good")], { unpullable: (image) => image === "kmm-preflight:test" });
    try {
      await new JsonApi(c.api.kubeConfig()).create(PREFLIGHTS, pfvo("upgrade"));
      await waitFor("error", () => c.entry("upgrade", "good")?.verificationStatus === "error", 20_000);
      assert.match(c.entry("upgrade", "good")!.statusReason!, /cannot start: ImagePullBackOff: Back-off pulling image "kmm-preflight:test"/);
    } finally {
      await c.stop();
    }
  });
});

describe("the runner under contention and faults", () => {
  it("two runners with one Lease create each Job once, and the second carries on from the status when the first stops", async () => {
    const c = await cluster([module("good"), module("private", { secret: "pull" }), pullSecret("pull")], { runners: 2 });
    try {
      await new JsonApi(c.api.kubeConfig()).create(PREFLIGHTS, pfvo("upgrade"));
      await waitFor("Complete", () => complete(c, "upgrade"), 60_000);
      const creates = () => c.api.requests.filter((r) => r.method === "POST" && r.path.endsWith("/jobs")).length;
      assert.equal(creates(), 2);
      const leader = c.managers.findIndex((m) => m.leading);
      await c.managers[leader]!.stop();
      await waitFor("the other leads", () => c.managers[1 - leader]!.leading, 10_000);
      // Let it reconcile (and sweep) a few times: verified Modules are never checked again.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      assert.equal(creates(), 2);
      assert.deepEqual(verdicts(c, "upgrade"), { good: "true", private: "true" });
    } finally {
      await c.stop();
    }
  });

  it("loses nothing to a storm of 409s on the status, and keeps what others wrote there", async () => {
    const c = await cluster([module("good"), module("missing")]);
    try {
      c.api.faults.failNext(8, 409, { match: { method: "PUT", path: /\/status$/ }, message: "the object has been modified; please apply your changes to the latest version and try again" });
      await new JsonApi(c.api.kubeConfig()).create(PREFLIGHTS, pfvo("upgrade"));
      // Another controller writes a condition of its own meanwhile.
      await waitFor("first status", () => c.status("upgrade")?.modules !== undefined, 30_000);
      c.api.modify(PF, "upgrade", undefined, (o) => {
        const s = o["status"] as { conditions?: unknown[] };
        s.conditions = [...(s.conditions ?? []), { type: "ApprovedByOps", status: "True", reason: "Manual", message: "ok", lastTransitionTime: "2026-12-01T00:00:00Z" }];
      });
      await waitFor("Complete", () => complete(c, "upgrade"), 60_000);
      assert.deepEqual(verdicts(c, "upgrade"), { good: "true", missing: "false" });
      assert.ok(condition(c, "upgrade", "ApprovedByOps"), "another writer's condition is kept");
      assert.ok(c.api.requests.filter((r) => r.method === "PUT" && r.path.endsWith("/status")).length >= 8);
    } finally {
      await c.stop();
    }
  });

  it("recovers without a restart from an API server answering 503 for 20 s during a sweep", async () => {
    const c = await cluster([module("good")]);
    try {
      await new JsonApi(c.api.kubeConfig()).create(PREFLIGHTS, pfvo("upgrade"));
      await waitFor("Complete", () => complete(c, "upgrade"), 60_000);
      c.api.faults.failNext(1_000_000, 503);
      // A Module appears while the API server is failing; the caches and the runner must catch up after.
      c.api.seed(module("private", { secret: "pull" }), pullSecret("pull"));
      await new Promise((resolve) => setTimeout(resolve, 20_000));
      c.api.faults.clear();
      await waitFor("private verified after the outage", () => c.entry("upgrade", "private")?.verificationStatus === "true", 60_000);
      assert.ok(c.lines.some((l) => l["level"] === "warn" && /503/.test(String(l["error"]))), "the outage was logged");
    } finally {
      await c.stop();
    }
  });
});

describe("the build stage with a real buildah", () => {
  it("builds (and with pushBuiltImage pushes) a Module whose image is missing; a failed build or a missing ConfigMap is false at the build stage", async () => {
    const c = await cluster([
      module("built", { build: "built-build" }),
      dockerfile("built-build", `FROM ${reg.host}/kmm/src:1 AS src\nFROM scratch\nARG KERNEL_VERSION\nCOPY --from=src /src/built.ko /opt/lib/modules/\${KERNEL_VERSION}/extra/built.ko\n`),
      module("badbuild", { build: "bad-build" }),
      dockerfile("bad-build", `FROM ${reg.host}/kmm/no-such-base:1\nRUN make\n`),
      module("nocm", { build: "absent" }),
    ]);
    try {
      await new JsonApi(c.api.kubeConfig()).create(PREFLIGHTS, pfvo("upgrade", true));
      await waitFor("Complete", () => complete(c, "upgrade"), 120_000);
      const stageAndStatus = (m: string) => [c.entry("upgrade", m)?.verificationStage, c.entry("upgrade", m)?.verificationStatus];
      assert.deepEqual(stageAndStatus("built"), ["build", "true"], c.entry("upgrade", "built")?.statusReason);
      assert.deepEqual(stageAndStatus("badbuild"), ["build", "false"]);
      assert.match(c.entry("upgrade", "badbuild")!.statusReason!, /the build failed \(exit code \d+\): .*no-such-base/s);
      assert.deepEqual(stageAndStatus("nocm"), ["build", "false"]);
      assert.match(c.entry("upgrade", "nocm")!.statusReason!, /ConfigMap drivers\/absent .* does not exist/);
      assert.ok(!c.jobs().some((j) => j.metadata!.labels!["kmm.node.kubernetes.io/module.name"] === "nocm" && j.metadata!.labels!["kmm.node.kubernetes.io/job-type"] === "build"), "no build Job without its ConfigMap");
      // The pushed image is what the image stage checks: it holds the module where modprobe looks.
      const pushed = await fetch(`${reg.url}/v2/kmm/built/manifests/${KERNEL}`, { headers: { accept: "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json" } });
      assert.equal(pushed.status, 200);
      // Fixed: the Module now names a Dockerfile that builds; a new round runs at once and builds it.
      c.api.modify("modules.kmm.sigs.x-k8s.io", "badbuild", "drivers", (m) => {
        (m["spec"] as Module["spec"]).moduleLoader!.container.build!.dockerfileConfigMap = { name: "built-build" };
      });
      await waitFor("badbuild built after the fix", () => c.entry("upgrade", "badbuild")?.verificationStatus === "true", 120_000);
      assert.equal(c.entry("upgrade", "badbuild")!.verificationStage, "build");
    } finally {
      await c.stop();
    }
  });
});

describe("the build and sign stages together, with a real buildah and the real sign command", () => {
  it("builds, signs and pushes a Module whose image is missing (true at the sign stage); without pushBuiltImage the sign stage says to set it", async () => {
    const key = selfSigned();
    const copySigned = `FROM ${reg.host}/kmm/src:1 AS src\nFROM scratch\nARG KERNEL_VERSION\nCOPY --from=src /src/signed.ko /opt/lib/modules/\${KERNEL_VERSION}/extra/signed.ko\n`;
    const c = await cluster([module("signed", { build: "signed-build", sign: true }), dockerfile("signed-build", copySigned), secretOf("signing-key", "key", key.keyPem), secretOf("signing-cert", "cert", key.certPem)]);
    const files = await scratch();
    try {
      const api = new JsonApi(c.api.kubeConfig());
      await api.create(PREFLIGHTS, pfvo("upgrade", true));
      await api.create(PREFLIGHTS, pfvo("no-push", false));
      await waitFor("both Complete", () => complete(c, "upgrade") && complete(c, "no-push"), 180_000);
      const at = (pf: string) => [c.entry(pf, "signed")?.verificationStage, c.entry(pf, "signed")?.verificationStatus];
      assert.deepEqual(at("upgrade"), ["sign", "true"], c.entry("upgrade", "signed")?.statusReason);
      assert.deepEqual(at("no-push"), ["sign", "false"]);
      assert.match(c.entry("no-push", "signed")!.statusReason!, /spec\.pushBuiltImage: true/);
      assert.deepEqual(c.jobs().filter((j) => j.metadata!.ownerReferences![0]!.name === "upgrade").map((j) => j.metadata!.labels!["kmm.node.kubernetes.io/job-type"]).sort(), ["build", "image", "sign"]);

      // What was pushed to the Module's containerImage holds the module, signed with its key.
      const { RegistryClient } = await import("../src/registry/index.js");
      const { readFileFromLayers } = await import("../src/image-check/layered-fs.js");
      const { layersOf } = await import("../src/image-check/registry-layers.js");
      const client = new RegistryClient({ tls: () => ({ insecure: true }) });
      try {
        const image = await client.getImage(`${reg.host}/kmm/signed:${KERNEL}`);
        const ko = await readFileFromLayers(layersOf(client, image), `opt/lib/modules/${KERNEL}/extra/signed.ko`, { maxBytes: 1 << 20 });
        assert.ok(ko, "the signed image holds the module");
        const path = await files.file("signed.ko", ko);
        assert.equal(await modinfoField(path, "sig_hashalgo"), "sha256");
        assert.equal((await opensslVerify(ko, key.certPem)).code, 0, "openssl accepts the signature");
      } finally {
        await client.close();
      }
    } finally {
      await files.done();
      await c.stop();
    }
  });
});

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import {
  ApisApi,
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  VersionApi,
  Watch,
  makeInformer,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
  type V1Job,
  type V1Pod,
} from "@kubernetes/client-node";
import * as sut from "./support/kube-api-server.js";
import { waitFor } from "./support/wait.js";

// The in-memory API server, exercised through the real @kubernetes/client-node.

const KMM = "kmm.sigs.x-k8s.io";
const PF = { group: KMM, version: "v1beta2", plural: "preflightvalidationsocp" };
const MOD = { group: KMM, version: "v1beta1", plural: "modules" };
const PF_REF = "preflightvalidationsocp.kmm.sigs.x-k8s.io";
const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
const strategic = setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch);
const apply = setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply);

type Obj = Record<string, any>; // API answers are checked field by field

const pfvo = (name: string, extra: Obj = {}): Obj => ({
  apiVersion: `${KMM}/v1beta2`, kind: "PreflightValidationOCP", metadata: { name, ...extra["metadata"] },
  spec: { releaseImage: "quay.io/ocp-release:4.18.1", ...extra["spec"] }, ...(extra["status"] ? { status: extra["status"] } : {}),
});
const job = (name: string, metadata: Obj = {}): V1Job => ({
  metadata: { name, ...metadata },
  spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "registry.example/verify:1" }] } } },
});
const pod = (name: string, metadata: Obj = {}): V1Pod => ({ metadata: { name, ...metadata }, spec: { containers: [{ name: "c", image: "i" }] } });

interface Ctx {
  server: sut.KubeApiServer;
  kc: KubeConfig;
  custom: CustomObjectsApi;
  batch: BatchV1Api;
  core: CoreV1Api;
}

async function withServer(fn: (ctx: Ctx) => Promise<void>, opts?: sut.KubeApiServerOptions): Promise<void> {
  const server = await sut.startKubeApiServer(opts);
  try {
    const kc = server.kubeConfig();
    await fn({ server, kc, custom: kc.makeApiClient(CustomObjectsApi), batch: kc.makeApiClient(BatchV1Api), core: kc.makeApiClient(CoreV1Api) });
  } finally {
    await server.close();
  }
}

/** The Status a failed call answered with (client-node throws ApiException with the raw body). */
async function statusOf(p: Promise<unknown>): Promise<Obj> {
  let caught: unknown;
  await assert.rejects(p, (e: unknown) => {
    caught = e;
    return true;
  });
  const e = caught as { code?: number; body?: unknown };
  assert.equal(typeof e.code, "number", `not an ApiException: ${String(caught)}`);
  const body = typeof e.body === "string" ? (JSON.parse(e.body) as Obj) : (e.body as Obj);
  assert.equal(body["code"], e.code);
  return body;
}

interface WatchEvent { type: string; object: Obj }
/** Opens a watch with client-node's Watch and records its events and its end. */
async function openWatch(kc: KubeConfig, path: string, query: Record<string, string | number | boolean> = {}) {
  const events: WatchEvent[] = [];
  let ended: { err: unknown } | undefined;
  const controller = await new Watch(kc).watch(path, query, (type, object) => events.push({ type, object: object as Obj }), (err) => {
    ended = { err };
  });
  return {
    events,
    get ended() {
      return ended;
    },
    summary: () => events.map((e) => `${e.type} ${e.object["metadata"]?.name ?? ""}`.trim()),
    stop: () => controller.abort(),
  };
}

describe("startKubeApiServer()", () => {
  describe("kubeConfig()", () => {
    it("points client-node at the server over plain HTTP on 127.0.0.1", async () => {
      await withServer(async ({ server, kc }) => {
        assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
        assert.equal(kc.getCurrentCluster()?.server, server.url);
        const v = await kc.makeApiClient(VersionApi).getCode();
        assert.equal(v.major, "1");
      });
    });
  });

  describe("discovery", () => {
    it("lists the registered groups and resources, with status subresources", async () => {
      await withServer(async ({ kc, batch }) => {
        const groups = await kc.makeApiClient(ApisApi).getAPIVersions();
        assert.deepEqual(groups.groups.map((g) => g.name).sort(), ["batch", "coordination.k8s.io", KMM]);
        assert.deepEqual(groups.groups.find((g) => g.name === KMM)?.versions.map((v) => v.version), ["v1beta2", "v1beta1"]);
        const batchResources = await batch.getAPIResources();
        assert.deepEqual(batchResources.resources.map((r) => r.name), ["jobs", "jobs/status"]);
        assert.equal(batchResources.resources[0]?.namespaced, true);
        const core = await kc.makeApiClient(CoreV1Api).getAPIResources();
        assert.ok(core.resources.some((r) => r.name === "namespaces" && !r.namespaced));
      });
    });

    it("answers an unknown path with a NotFound Status", async () => {
      await withServer(async ({ custom }) => {
        const s = await statusOf(custom.listClusterCustomObject({ group: KMM, version: "v1", plural: "nothings" }));
        assert.deepEqual(s, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: "the server could not find the requested resource", reason: "NotFound", details: {}, code: 404 });
      });
    });
  });

  describe("register()", () => {
    it("serves a new resource type, cluster-scoped or namespaced", async () => {
      await withServer(async ({ server, custom }) => {
        server.register({ group: "example.com", version: "v1", kind: "Widget", plural: "widgets", namespaced: true, hasStatus: false });
        await custom.createNamespacedCustomObject({ group: "example.com", version: "v1", namespace: "ns1", plural: "widgets", body: { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } } });
        const list = await custom.listCustomObjectForAllNamespaces({ group: "example.com", version: "v1", plural: "widgets" });
        assert.deepEqual(list.items.map((i: Obj) => `${i["metadata"].namespace}/${i["metadata"].name}`), ["ns1/w"]);
      });
    });
  });

  describe("create (POST)", () => {
    it("fills uid, resourceVersion, creationTimestamp and generation 1, and answers 201 with the object", async () => {
      await withServer(async ({ server, custom }) => {
        const before = Number(server.resourceVersion());
        const res = await custom.createClusterCustomObjectWithHttpInfo({ ...PF, body: pfvo("a") });
        assert.equal(res.httpStatusCode, 201);
        const m = res.data.metadata;
        assert.match(m.uid, /^[0-9a-f-]{36}$/);
        assert.equal(m.resourceVersion, String(before + 1));
        assert.equal(m.generation, 1);
        assert.match(m.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        assert.equal(res.data.kind, "PreflightValidationOCP");
        assert.equal(server.resourceVersion(), m.resourceVersion);
      });
    });

    it("bumps one resourceVersion counter shared by every resource", async () => {
      await withServer(async ({ custom, batch, core }) => {
        const a = await batch.createNamespacedJob({ namespace: "default", body: job("j") });
        const b = await core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "cm" }, data: { k: "v" } } });
        const c = await custom.createClusterCustomObject({ ...PF, body: pfvo("p") });
        const rvs = [a.metadata!.resourceVersion, b.metadata!.resourceVersion, c.metadata.resourceVersion].map(Number);
        assert.deepEqual(rvs, [rvs[0]!, rvs[0]! + 1, rvs[0]! + 2]);
      });
    });

    it("takes the namespace from the path and rejects a different one in the body", async () => {
      await withServer(async ({ batch }) => {
        const created = await batch.createNamespacedJob({ namespace: "ns1", body: job("j") });
        assert.equal(created.metadata?.namespace, "ns1");
        const s = await statusOf(batch.createNamespacedJob({ namespace: "ns1", body: job("k", { namespace: "ns2" }) }));
        assert.equal(s["code"], 400);
        assert.equal(s["reason"], "BadRequest");
      });
    });

    it("answers 409 AlreadyExists for an existing name", async () => {
      await withServer(async ({ batch, custom }) => {
        await batch.createNamespacedJob({ namespace: "default", body: job("j") });
        const s = await statusOf(batch.createNamespacedJob({ namespace: "default", body: job("j") }));
        assert.deepEqual(s, {
          kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: 'jobs.batch "j" already exists',
          reason: "AlreadyExists", details: { name: "j", group: "batch", kind: "jobs" }, code: 409,
        });
        await custom.createClusterCustomObject({ ...PF, body: pfvo("p") });
        const s2 = await statusOf(custom.createClusterCustomObject({ ...PF, body: pfvo("p") }));
        assert.equal(s2["message"], `${PF_REF} "p" already exists`);
      });
    });

    it("generates a name from generateName", async () => {
      await withServer(async ({ batch }) => {
        const a = await batch.createNamespacedJob({ namespace: "default", body: { ...job(""), metadata: { generateName: "verify-" } } });
        const b = await batch.createNamespacedJob({ namespace: "default", body: { ...job(""), metadata: { generateName: "verify-" } } });
        assert.match(a.metadata!.name!, /^verify-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
        assert.notEqual(a.metadata!.name, b.metadata!.name);
      });
    });

    it("answers 422 Invalid without a name, for an invalid name and for an invalid label value", async () => {
      await withServer(async ({ batch, custom }) => {
        const s = await statusOf(batch.createNamespacedJob({ namespace: "default", body: job("") }));
        assert.equal(s["code"], 422);
        assert.equal(s["reason"], "Invalid");
        assert.equal(s["message"], 'Job.batch "" is invalid: metadata.name: Required value: name or generateName is required');
        assert.deepEqual(s["details"], { name: "", group: "batch", kind: "Job", causes: [{ reason: "FieldValueRequired", message: "Required value: name or generateName is required", field: "metadata.name" }] });

        const bad = await statusOf(custom.createClusterCustomObject({ ...PF, body: pfvo("Not_A_Name") }));
        assert.equal(bad["code"], 422);
        assert.equal(bad["details"].causes[0].field, "metadata.name");

        const label = await statusOf(batch.createNamespacedJob({ namespace: "default", body: job("j", { labels: { k: "x".repeat(64) } }) }));
        assert.equal(label["code"], 422);
        assert.match(label["message"], /metadata\.labels: Invalid value: "x+": must be no more than 63 characters/);
      });
    });

    it("drops .status when the resource has a status subresource", async () => {
      await withServer(async ({ custom }) => {
        const created = await custom.createClusterCustomObject({ ...PF, body: pfvo("p", { status: { modules: [] } }) });
        assert.equal(created.status, undefined);
      });
    });

    it("requires apiVersion and kind in a custom resource body, and accepts typed bodies without them", async () => {
      await withServer(async ({ custom, batch }) => {
        const s = await statusOf(custom.createClusterCustomObject({ ...PF, body: { metadata: { name: "p" }, spec: {} } }));
        assert.equal(s["code"], 400);
        const wrong = await statusOf(custom.createClusterCustomObject({ ...PF, body: { ...pfvo("p"), apiVersion: `${KMM}/v1beta1` } }));
        assert.match(wrong["message"], /does not match the expected API version/);
        const j = await batch.createNamespacedJob({ namespace: "default", body: job("j") });
        assert.equal(j.kind, "Job");
        assert.equal(j.apiVersion, "batch/v1");
      });
    });

    it("stores nothing with dryRun=All", async () => {
      await withServer(async ({ server, batch }) => {
        const rv = server.resourceVersion();
        const j = await batch.createNamespacedJob({ namespace: "default", body: job("j"), dryRun: "All" });
        assert.equal(j.metadata?.name, "j");
        assert.equal(server.resourceVersion(), rv);
        assert.equal(server.get("jobs.batch", "j", "default"), undefined);
      });
    });

    describe("given enforceNamespaces", () => {
      it("answers 404 for a namespace that does not exist", async () => {
        await withServer(async ({ batch }) => {
          const s = await statusOf(batch.createNamespacedJob({ namespace: "nope", body: job("j") }));
          assert.equal(s["code"], 404);
          assert.equal(s["message"], 'namespaces "nope" not found');
          await batch.createNamespacedJob({ namespace: "default", body: job("j") });
        }, { enforceNamespaces: true });
      });
    });

    it("answers 403 in a namespace that is being deleted", async () => {
      await withServer(async ({ server, core, batch }) => {
        await core.createNamespace({ body: { metadata: { name: "ns1" } } });
        await core.createNamespacedConfigMap({ namespace: "ns1", body: { metadata: { name: "cm", finalizers: ["example.com/hold"] } } });
        await core.deleteNamespace({ name: "ns1" });
        assert.equal(server.get("namespaces", "ns1")?.["status"] && (server.get("namespaces", "ns1")!["status"] as Obj)["phase"], "Terminating");
        const s = await statusOf(batch.createNamespacedJob({ namespace: "ns1", body: job("j") }));
        assert.equal(s["code"], 403);
        assert.match(s["message"], /because it is being terminated/);
      });
    });
  });

  describe("get", () => {
    it("returns the object with apiVersion and kind", async () => {
      await withServer(async ({ server, batch, custom }) => {
        server.seed({ apiVersion: "batch/v1", kind: "Job", ...job("j") } as sut.KubeObject, pfvo("p"));
        assert.equal((await batch.readNamespacedJob({ name: "j", namespace: "default" })).metadata?.name, "j");
        const p = await custom.getClusterCustomObject({ ...PF, name: "p" });
        assert.equal(p.kind, "PreflightValidationOCP");
        const st = await custom.getClusterCustomObjectStatus({ ...PF, name: "p" });
        assert.equal(st.metadata.name, "p");
      });
    });

    it("answers 404 NotFound with a Status like the real server", async () => {
      await withServer(async ({ core, custom }) => {
        assert.deepEqual(await statusOf(core.readNamespacedPod({ name: "x", namespace: "default" })), {
          kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: 'pods "x" not found', reason: "NotFound", details: { name: "x", kind: "pods" }, code: 404,
        });
        const s = await statusOf(custom.getClusterCustomObject({ ...PF, name: "x" }));
        assert.deepEqual(s["details"], { name: "x", group: KMM, kind: "preflightvalidationsocp" });
        assert.equal(s["message"], `${PF_REF} "x" not found`);
      });
    });
  });

  describe("list", () => {
    it("answers <Kind>List at the current resourceVersion, sorted, items typed only for custom resources", async () => {
      await withServer(async ({ server, batch, custom }) => {
        await batch.createNamespacedJob({ namespace: "default", body: job("b") });
        await batch.createNamespacedJob({ namespace: "default", body: job("a") });
        await custom.createClusterCustomObject({ ...PF, body: pfvo("p") });
        const jobs = await batch.listNamespacedJob({ namespace: "default" });
        assert.equal(jobs.kind, "JobList");
        assert.equal(jobs.metadata?.resourceVersion, server.resourceVersion());
        assert.deepEqual(jobs.items.map((j) => j.metadata?.name), ["a", "b"]);
        assert.equal(jobs.items[0]?.kind, undefined);
        const pfs = await custom.listClusterCustomObject(PF);
        assert.equal(pfs.kind, "PreflightValidationOCPList");
        assert.equal(pfs.apiVersion, `${KMM}/v1beta2`);
        assert.equal(pfs.items[0].kind, "PreflightValidationOCP");
      });
    });

    it("lists one namespace or all of them", async () => {
      await withServer(async ({ batch, custom }) => {
        await batch.createNamespacedJob({ namespace: "ns1", body: job("a") });
        await batch.createNamespacedJob({ namespace: "ns2", body: job("b") });
        assert.deepEqual((await batch.listNamespacedJob({ namespace: "ns2" })).items.map((j) => j.metadata?.name), ["b"]);
        assert.deepEqual((await batch.listJobForAllNamespaces({})).items.map((j) => `${j.metadata?.namespace}/${j.metadata?.name}`), ["ns1/a", "ns2/b"]);
        await custom.createNamespacedCustomObject({ ...MOD, namespace: "ns1", body: { apiVersion: `${KMM}/v1beta1`, kind: "Module", metadata: { name: "m" }, spec: {} } });
        const mods = await custom.listCustomObjectForAllNamespaces({ group: KMM, version: "v1beta1", plural: "modules" });
        assert.deepEqual(mods.items.map((m: Obj) => m["metadata"].namespace), ["ns1"]);
      });
    });

    const labelCases: [string, string[]][] = [
      ["app=x", ["a", "b"]],
      ["app==x", ["a", "b"]],
      ["app!=x", ["c", "d"]],
      ["tier in (web, db)", ["a", "c"]],
      ["tier notin (web)", ["b", "c", "d"]],
      ["tier", ["a", "b", "c"]],
      ["!tier", ["d"]],
      ["app=x,tier=web", ["a"]],
      ["app=x,tier notin (web,db)", ["b"]],
      ["", ["a", "b", "c", "d"]],
    ];
    for (const [selector, want] of labelCases) {
      it(`filters with labelSelector "${selector}"`, async () => {
        await withServer(async ({ server, core }) => {
          server.seed(
            { apiVersion: "v1", kind: "Pod", ...pod("a", { labels: { app: "x", tier: "web" } }) } as sut.KubeObject,
            { apiVersion: "v1", kind: "Pod", ...pod("b", { labels: { app: "x", tier: "cache" } }) } as sut.KubeObject,
            { apiVersion: "v1", kind: "Pod", ...pod("c", { labels: { app: "y", tier: "db" } }) } as sut.KubeObject,
            { apiVersion: "v1", kind: "Pod", ...pod("d") } as sut.KubeObject,
          );
          const got = await core.listNamespacedPod({ namespace: "default", labelSelector: selector });
          assert.deepEqual(got.items.map((p) => p.metadata?.name), want);
        });
      });
    }

    it("answers 400 for an unparsable labelSelector", async () => {
      await withServer(async ({ core }) => {
        const s = await statusOf(core.listNamespacedPod({ namespace: "default", labelSelector: "a in b" }));
        assert.equal(s["code"], 400);
        assert.match(s["message"], /unable to parse requirement/);
      });
    });

    it("filters with fieldSelector on metadata.name and metadata.namespace, and rejects other fields", async () => {
      await withServer(async ({ batch, custom }) => {
        for (const [ns, name] of [["ns1", "a"], ["ns1", "b"], ["ns2", "a"]] as const) await batch.createNamespacedJob({ namespace: ns, body: job(name) });
        const byName = await batch.listJobForAllNamespaces({ fieldSelector: "metadata.name=a" });
        assert.deepEqual(byName.items.map((j) => j.metadata?.namespace), ["ns1", "ns2"]);
        const notNs = await batch.listJobForAllNamespaces({ fieldSelector: "metadata.namespace!=ns1" });
        assert.deepEqual(notNs.items.map((j) => `${j.metadata?.namespace}/${j.metadata?.name}`), ["ns2/a"]);
        const both = await batch.listJobForAllNamespaces({ fieldSelector: "metadata.name==b,metadata.namespace=ns1" });
        assert.equal(both.items.length, 1);
        assert.equal((await statusOf(batch.listJobForAllNamespaces({ fieldSelector: "status.succeeded=1" })))["code"], 400);
        const s = await statusOf(custom.listClusterCustomObject({ ...PF, fieldSelector: "spec.releaseImage=x" }));
        assert.match(s["message"], /is not a known field selector/);
      });
    });

    it("pages with limit and continue", async () => {
      await withServer(async ({ core }) => {
        for (const n of ["a", "b", "c"]) await core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: n } } });
        const first = await core.listNamespacedConfigMap({ namespace: "default", limit: 2 });
        assert.deepEqual(first.items.map((c) => c.metadata?.name), ["a", "b"]);
        assert.equal(first.metadata?.remainingItemCount, 1);
        const next = await core.listNamespacedConfigMap({ namespace: "default", limit: 2, _continue: first.metadata!._continue! });
        assert.deepEqual(next.items.map((c) => c.metadata?.name), ["c"]);
        assert.equal(next.metadata?._continue, undefined);
      });
    });
  });

  describe("update (PUT)", () => {
    it("bumps resourceVersion always and generation only when something outside metadata and status changed", async () => {
      await withServer(async ({ custom }) => {
        const created = await custom.createClusterCustomObject({ ...PF, body: pfvo("p") });
        const labelled = await custom.replaceClusterCustomObject({ ...PF, name: "p", body: { ...created, metadata: { ...created.metadata, labels: { a: "b" } } } });
        assert.equal(Number(labelled.metadata.resourceVersion), Number(created.metadata.resourceVersion) + 1);
        assert.equal(labelled.metadata.generation, 1);
        const respec = await custom.replaceClusterCustomObject({ ...PF, name: "p", body: { ...labelled, spec: { releaseImage: "new" } } });
        assert.equal(respec.metadata.generation, 2);
        assert.equal(respec.metadata.uid, created.metadata.uid);
        assert.equal(respec.metadata.creationTimestamp, created.metadata.creationTimestamp);
      });
    });

    it("keeps the resourceVersion and sends no event when nothing changed", async () => {
      await withServer(async ({ server, kc, custom }) => {
        const created = await custom.createClusterCustomObject({ ...PF, body: pfvo("p") });
        const w = await openWatch(kc, `/apis/${KMM}/v1beta2/preflightvalidationsocp`, { resourceVersion: created.metadata.resourceVersion });
        const same = await custom.replaceClusterCustomObject({ ...PF, name: "p", body: created });
        assert.equal(same.metadata.resourceVersion, created.metadata.resourceVersion);
        assert.equal(server.resourceVersion(), created.metadata.resourceVersion);
        await sleep(50);
        assert.deepEqual(w.events, []);
        w.stop();
      });
    });

    it("answers 409 Conflict with the real message when the resourceVersion is stale", async () => {
      await withServer(async ({ custom, batch }) => {
        const created = await custom.createClusterCustomObject({ ...PF, body: pfvo("p") });
        await custom.replaceClusterCustomObject({ ...PF, name: "p", body: { ...created, spec: { releaseImage: "v2" } } });
        const s = await statusOf(custom.replaceClusterCustomObject({ ...PF, name: "p", body: { ...created, spec: { releaseImage: "v3" } } }));
        assert.deepEqual(s, {
          kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure",
          message: `Operation cannot be fulfilled on ${PF_REF} "p": the object has been modified; please apply your changes to the latest version and try again`,
          reason: "Conflict", details: { name: "p", group: KMM, kind: "preflightvalidationsocp" }, code: 409,
        });
        const j = await batch.createNamespacedJob({ namespace: "default", body: job("j") });
        await batch.replaceNamespacedJob({ name: "j", namespace: "default", body: { ...j, metadata: { ...j.metadata, labels: { x: "1" } } } });
        assert.equal((await statusOf(batch.replaceNamespacedJob({ name: "j", namespace: "default", body: j })))["reason"], "Conflict");
      });
    });

    it("requires a resourceVersion for custom resources but not for built-in ones", async () => {
      await withServer(async ({ custom, batch }) => {
        await custom.createClusterCustomObject({ ...PF, body: pfvo("p") });
        const s = await statusOf(custom.replaceClusterCustomObject({ ...PF, name: "p", body: pfvo("p") }));
        assert.equal(s["code"], 422);
        assert.match(s["message"], /metadata\.resourceVersion: Invalid value: "0x0": must be specified for an update/);
        await batch.createNamespacedJob({ namespace: "default", body: job("j") });
        const j = await batch.replaceNamespacedJob({ name: "j", namespace: "default", body: job("j", { labels: { x: "1" } }) });
        assert.equal(j.metadata?.labels?.["x"], "1");
      });
    });

    it("answers 404 for a missing object and 400 when the body names another object", async () => {
      await withServer(async ({ batch }) => {
        assert.equal((await statusOf(batch.replaceNamespacedJob({ name: "j", namespace: "default", body: job("j") })))["code"], 404);
        await batch.createNamespacedJob({ namespace: "default", body: job("j") });
        const s = await statusOf(batch.replaceNamespacedJob({ name: "j", namespace: "default", body: job("k") }));
        assert.equal(s["code"], 400);
        assert.match(s["message"], /does not match the name on the URL/);
      });
    });

    describe("given a status subresource", () => {
      it("ignores .status on the main resource", async () => {
        await withServer(async ({ custom }) => {
          const created = await custom.createClusterCustomObject({ ...PF, body: pfvo("p") });
          const put = await custom.replaceClusterCustomObject({ ...PF, name: "p", body: { ...created, status: { modules: [{ name: "m" }] } } });
          assert.equal(put.status, undefined);
          assert.equal(put.metadata.resourceVersion, created.metadata.resourceVersion);
        });
      });

      it("changes only .status through /status, without bumping generation", async () => {
        await withServer(async ({ custom, batch }) => {
          const created = await custom.createClusterCustomObject({ ...PF, body: pfvo("p") });
          const st = await custom.replaceClusterCustomObjectStatus({ ...PF, name: "p", body: {
            ...created, metadata: { ...created.metadata, labels: { ignored: "yes" } }, spec: { releaseImage: "ignored" }, status: { modules: [] },
          } });
          assert.deepEqual(st.status, { modules: [] });
          assert.equal(st.spec.releaseImage, "quay.io/ocp-release:4.18.1");
          assert.equal(st.metadata.labels, undefined);
          assert.equal(st.metadata.generation, 1);
          assert.equal(Number(st.metadata.resourceVersion), Number(created.metadata.resourceVersion) + 1);
          const stale = await statusOf(custom.replaceClusterCustomObjectStatus({ ...PF, name: "p", body: { ...created, status: { modules: [{}] } } }));
          assert.equal(stale["reason"], "Conflict");

          const j = await batch.createNamespacedJob({ namespace: "default", body: job("j") });
          const done = await batch.replaceNamespacedJobStatus({ name: "j", namespace: "default", body: { ...j, status: { succeeded: 1 } } });
          assert.equal(done.status?.succeeded, 1);
          assert.equal(done.metadata?.generation, 1);
        });
      });
    });
  });

  describe("patch", () => {
    it("applies a merge patch, where null removes a field", async () => {
      await withServer(async ({ batch }) => {
        await batch.createNamespacedJob({ namespace: "default", body: job("j", { labels: { a: "1", b: "2" } }) });
        const p = await batch.patchNamespacedJob({ name: "j", namespace: "default", body: { metadata: { labels: { a: null, c: "3" } } } }, merge);
        assert.deepEqual(p.metadata?.labels, { b: "2", c: "3" });
        assert.equal(p.metadata?.generation, 1);
      });
    });

    it("applies a JSON patch (the client's default content type), and answers 422 when a test op fails", async () => {
      await withServer(async ({ custom, server }) => {
        await custom.createClusterCustomObject({ ...PF, body: pfvo("p") });
        const p = await custom.patchClusterCustomObject({ ...PF, name: "p", body: [
          { op: "test", path: "/spec/releaseImage", value: "quay.io/ocp-release:4.18.1" },
          { op: "replace", path: "/spec/releaseImage", value: "r2" },
          { op: "add", path: "/metadata/annotations", value: { "a/b": "c" } },
          { op: "add", path: "/spec/list", value: [1, 3] },
          { op: "add", path: "/spec/list/1", value: 2 },
          { op: "copy", from: "/spec/list", path: "/spec/copy" },
          { op: "move", from: "/spec/copy", path: "/spec/moved" },
          { op: "remove", path: "/spec/list/0" },
        ] });
        assert.deepEqual(p.spec, { releaseImage: "r2", list: [2, 3], moved: [1, 2, 3] });
        assert.deepEqual(p.metadata.annotations, { "a/b": "c" });
        assert.equal(p.metadata.generation, 2);
        assert.equal(server.requests.at(-1)?.contentType, "application/json-patch+json");
        const s = await statusOf(custom.patchClusterCustomObject({ ...PF, name: "p", body: [{ op: "test", path: "/spec/releaseImage", value: "old" }] }));
        assert.equal(s["code"], 422);
        const missing = await statusOf(custom.patchClusterCustomObject({ ...PF, name: "p", body: [{ op: "remove", path: "/spec/nope" }] }));
        assert.equal(missing["code"], 422);
      });
    });

    it("treats strategic merge patch as a merge patch for built-ins and answers 415 for custom resources and apply", async () => {
      await withServer(async ({ batch, custom }) => {
        await batch.createNamespacedJob({ namespace: "default", body: job("j") });
        const p = await batch.patchNamespacedJob({ name: "j", namespace: "default", body: { metadata: { labels: { s: "1" } } } }, strategic);
        assert.equal(p.metadata?.labels?.["s"], "1");
        await custom.createClusterCustomObject({ ...PF, body: pfvo("p") });
        const s = await statusOf(custom.patchClusterCustomObject({ ...PF, name: "p", body: { spec: { pushBuiltImage: true } } }, strategic));
        assert.equal(s["code"], 415);
        assert.equal(s["reason"], "UnsupportedMediaType");
        const a = await statusOf(custom.patchClusterCustomObject({ ...PF, name: "p", body: "spec: {}" }, apply));
        assert.equal(a["code"], 415);
      });
    });

    it("answers 409 when the patch carries a stale resourceVersion, and 404 when the object is missing", async () => {
      await withServer(async ({ custom }) => {
        const created = await custom.createClusterCustomObject({ ...PF, body: pfvo("p") });
        await custom.patchClusterCustomObject({ ...PF, name: "p", body: { spec: { releaseImage: "r2" } } }, merge);
        const s = await statusOf(custom.patchClusterCustomObject({ ...PF, name: "p", body: { metadata: { resourceVersion: created.metadata.resourceVersion }, spec: { releaseImage: "r3" } } }, merge));
        assert.equal(s["reason"], "Conflict");
        assert.equal((await statusOf(custom.patchClusterCustomObject({ ...PF, name: "x", body: { spec: {} } }, merge)))["code"], 404);
      });
    });

    describe("given a status subresource", () => {
      it("patches only .status through /status and ignores .status on the main resource", async () => {
        await withServer(async ({ batch, custom }) => {
          await batch.createNamespacedJob({ namespace: "default", body: job("j") });
          const st = await batch.patchNamespacedJobStatus({ name: "j", namespace: "default", body: { status: { failed: 2 }, spec: { parallelism: 9 } } }, merge);
          assert.equal(st.status?.failed, 2);
          assert.equal(st.spec?.parallelism, undefined);
          const main = await batch.patchNamespacedJob({ name: "j", namespace: "default", body: { status: { failed: 5 } } }, merge);
          assert.equal(main.status?.failed, 2);

          await custom.createClusterCustomObject({ ...PF, body: pfvo("p") });
          const ps = await custom.patchClusterCustomObjectStatus({ ...PF, name: "p", body: [{ op: "add", path: "/status", value: { modules: [] } }] });
          assert.deepEqual(ps.status, { modules: [] });
          assert.equal(ps.metadata.generation, 1);
        });
      });
    });
  });

  describe("delete", () => {
    it("answers a Success Status for most resources and 404 once gone", async () => {
      await withServer(async ({ custom, batch }) => {
        const created = await custom.createClusterCustomObject({ ...PF, body: pfvo("p") });
        const res = await custom.deleteClusterCustomObject({ ...PF, name: "p" });
        assert.deepEqual(res, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details: { name: "p", group: KMM, kind: "preflightvalidationsocp", uid: created.metadata.uid } });
        assert.equal((await statusOf(custom.getClusterCustomObject({ ...PF, name: "p" })))["code"], 404);
        assert.equal((await statusOf(custom.deleteClusterCustomObject({ ...PF, name: "p" })))["code"], 404);
        await batch.createNamespacedJob({ namespace: "default", body: job("j") });
        const st = await batch.deleteNamespacedJob({ name: "j", namespace: "default", propagationPolicy: "Background" });
        assert.equal(st.status, "Success");
      });
    });

    it("answers the deleted object for pods", async () => {
      await withServer(async ({ core }) => {
        await core.createNamespacedPod({ namespace: "default", body: pod("p") });
        const gone = await core.deleteNamespacedPod({ name: "p", namespace: "default" });
        assert.equal(gone.kind, "Pod");
        assert.equal(gone.metadata?.name, "p");
      });
    });

    it("only marks an object with finalizers, and removes it when the last finalizer goes", async () => {
      await withServer(async ({ server, kc, custom }) => {
        const created = await custom.createClusterCustomObject({ ...PF, body: pfvo("p", { metadata: { finalizers: ["kmm.sigs.x-k8s.io/cleanup"] } }) });
        const w = await openWatch(kc, `/apis/${KMM}/v1beta2/preflightvalidationsocp`, { resourceVersion: created.metadata.resourceVersion });
        const marked = await custom.deleteClusterCustomObject({ ...PF, name: "p" });
        assert.equal(marked.metadata.name, "p");
        assert.match(marked.metadata.deletionTimestamp, /Z$/);
        assert.equal(marked.metadata.generation, 2);
        const again = await custom.deleteClusterCustomObject({ ...PF, name: "p" });
        assert.equal(again.metadata.resourceVersion, marked.metadata.resourceVersion);

        const more = await statusOf(custom.patchClusterCustomObject({ ...PF, name: "p", body: { metadata: { finalizers: ["kmm.sigs.x-k8s.io/cleanup", "x/y"] } } }, merge));
        assert.equal(more["code"], 422);
        assert.match(more["message"], /no new finalizers can be added if the object is being deleted/);

        const released = await custom.replaceClusterCustomObject({ ...PF, name: "p", body: { ...marked, metadata: { ...marked.metadata, finalizers: [] } } });
        assert.equal(released.metadata.deletionTimestamp, marked.metadata.deletionTimestamp);
        assert.equal(server.get(PF_REF, "p"), undefined);
        await waitFor("events", () => w.events.length === 2);
        assert.deepEqual(w.summary(), ["MODIFIED p", "DELETED p"]);
        assert.equal(w.events[1]!.object["metadata"].resourceVersion, server.resourceVersion());
        w.stop();
      });
    });

    it("checks uid and resourceVersion preconditions", async () => {
      await withServer(async ({ batch }) => {
        const j = await batch.createNamespacedJob({ namespace: "default", body: job("j") });
        const s = await statusOf(batch.deleteNamespacedJob({ name: "j", namespace: "default", body: { preconditions: { uid: "other" } } }));
        assert.equal(s["reason"], "Conflict");
        assert.match(s["message"], /Precondition failed: UID in precondition: other/);
        await batch.deleteNamespacedJob({ name: "j", namespace: "default", body: { preconditions: { uid: j.metadata!.uid!, resourceVersion: j.metadata!.resourceVersion! } } });
      });
    });

    it("deletes dependents with Background and Foreground propagation", async () => {
      for (const propagationPolicy of ["Background", "Foreground"]) {
        await withServer(async ({ server, batch, core }) => {
          const j = await batch.createNamespacedJob({ namespace: "default", body: job("j") });
          const owner = { apiVersion: "batch/v1", kind: "Job", name: "j", uid: j.metadata!.uid!, controller: true };
          await core.createNamespacedPod({ namespace: "default", body: pod("j-pod", { ownerReferences: [owner] }) });
          await core.createNamespacedPod({ namespace: "default", body: pod("other") });
          await batch.deleteNamespacedJob({ name: "j", namespace: "default", propagationPolicy });
          assert.deepEqual(server.objects("pods").map((p) => p.metadata?.name), ["other"], propagationPolicy);
        });
      }
    });

    it("orphans a Job's pods by default, with the real server's warning", async () => {
      await withServer(async ({ server, batch, core }) => {
        const j = await batch.createNamespacedJob({ namespace: "default", body: job("j") });
        await core.createNamespacedPod({ namespace: "default", body: pod("j-pod", { ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: "j", uid: j.metadata!.uid! }] }) });
        const res = await batch.deleteNamespacedJobWithHttpInfo({ name: "j", namespace: "default" });
        assert.match(res.headers["warning"] ?? "", /child pods are preserved by default when jobs are deleted/);
        const orphan = server.get("pods", "j-pod", "default");
        assert.equal(orphan?.metadata?.ownerReferences, undefined);
      });
    });

    it("deletes a namespace with its contents, and deletes collections by label", async () => {
      await withServer(async ({ server, core, batch }) => {
        await core.createNamespace({ body: { metadata: { name: "ns1" } } });
        await batch.createNamespacedJob({ namespace: "ns1", body: job("a") });
        const ns = await core.deleteNamespace({ name: "ns1" });
        assert.equal(ns.kind, "Namespace");
        assert.equal(server.get("namespaces", "ns1"), undefined);
        assert.deepEqual(server.objects("jobs.batch"), []);

        for (const [name, run] of [["x", "1"], ["y", "1"], ["z", "2"]] as const) await batch.createNamespacedJob({ namespace: "default", body: job(name, { labels: { run } }) });
        const deleted = await batch.deleteCollectionNamespacedJob({ namespace: "default", labelSelector: "run=1", propagationPolicy: "Background" });
        assert.equal(deleted.status, undefined);
        assert.deepEqual(server.objects("jobs.batch").map((o) => o.metadata?.name), ["z"]);
      });
    });
  });

  describe("watch", () => {
    const PATH = `/apis/${KMM}/v1beta2/preflightvalidationsocp`;

    it("streams ADDED, MODIFIED and DELETED after the given resourceVersion, each with its resourceVersion", async () => {
      await withServer(async ({ server, kc, custom }) => {
        server.seed(pfvo("before"));
        const w = await openWatch(kc, PATH, { resourceVersion: server.resourceVersion() });
        const c = await custom.createClusterCustomObject({ ...PF, body: pfvo("p") });
        const u = await custom.patchClusterCustomObject({ ...PF, name: "p", body: { spec: { releaseImage: "r2" } } }, merge);
        await custom.deleteClusterCustomObject({ ...PF, name: "p" });
        await waitFor("3 events", () => w.events.length === 3);
        assert.deepEqual(w.summary(), ["ADDED p", "MODIFIED p", "DELETED p"]);
        assert.deepEqual(w.events.map((e) => e.object["metadata"].resourceVersion), [c.metadata.resourceVersion, u.metadata.resourceVersion, server.resourceVersion()]);
        assert.equal(w.events[0]!.object["kind"], "PreflightValidationOCP");
        w.stop();
      });
    });

    it("starts with synthetic ADDED events for current objects when resourceVersion is absent or 0", async () => {
      for (const query of [{}, { resourceVersion: "0" }] as Record<string, string>[]) {
        await withServer(async ({ server, kc, batch }) => {
          await batch.createNamespacedJob({ namespace: "default", body: job("a") });
          await batch.createNamespacedJob({ namespace: "default", body: job("b") });
          await batch.deleteNamespacedJob({ name: "b", namespace: "default" });
          const w = await openWatch(kc, "/apis/batch/v1/jobs", { ...query });
          await waitFor("a", () => w.events.length === 1);
          server.seed({ apiVersion: "batch/v1", kind: "Job", ...job("c") } as sut.KubeObject);
          await waitFor("c", () => w.events.length === 2);
          assert.deepEqual(w.summary(), ["ADDED a", "ADDED c"]);
          assert.equal(w.events[0]!.object["kind"], "Job");
          w.stop();
        });
      }
    });

    it("replays history from an older resourceVersion, and answers ERROR 410 Expired beyond the retained window", async () => {
      await withServer(async ({ server, kc }) => {
        const rv0 = server.resourceVersion();
        server.seed(pfvo("a"));
        const rv1 = server.resourceVersion();
        server.seed(pfvo("b"), pfvo("c"));
        const replay = await openWatch(kc, PATH, { resourceVersion: rv1 });
        await waitFor("replay", () => replay.events.length === 2);
        assert.deepEqual(replay.summary(), ["ADDED b", "ADDED c"]);
        replay.stop();

        const old = await openWatch(kc, PATH, { resourceVersion: rv0 });
        await waitFor("stream end", () => old.ended !== undefined);
        assert.equal(old.ended?.err, null);
        assert.equal(old.events.length, 1);
        assert.equal(old.events[0]!.type, "ERROR");
        assert.deepEqual(old.events[0]!.object, {
          kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: `too old resource version: ${rv0} (${Number(rv1)})`, reason: "Expired", code: 410,
        });
      }, { historyLimit: 2 });
    });

    it("forgets history on compact()", async () => {
      await withServer(async ({ server, kc }) => {
        server.seed(pfvo("a"));
        const rv = server.resourceVersion();
        server.seed(pfvo("b"));
        server.compact();
        const w = await openWatch(kc, PATH, { resourceVersion: rv });
        await waitFor("410", () => w.ended !== undefined);
        assert.equal(w.events[0]?.object["code"], 410);
        const fresh = await openWatch(kc, PATH, { resourceVersion: server.resourceVersion() });
        server.seed(pfvo("c"));
        await waitFor("c", () => fresh.events.length === 1);
        fresh.stop();
      });
    });

    it("filters by labelSelector, turning label changes into ADDED and DELETED", async () => {
      await withServer(async ({ server, kc, custom }) => {
        const w = await openWatch(kc, PATH, { resourceVersion: server.resourceVersion(), labelSelector: "team=kmm" });
        await custom.createClusterCustomObject({ ...PF, body: pfvo("in", { metadata: { labels: { team: "kmm" } } }) });
        await custom.createClusterCustomObject({ ...PF, body: pfvo("out") });
        await custom.patchClusterCustomObject({ ...PF, name: "out", body: { metadata: { labels: { team: "kmm" } } } }, merge);
        await custom.patchClusterCustomObject({ ...PF, name: "in", body: { metadata: { labels: { team: null } } } }, merge);
        await custom.patchClusterCustomObject({ ...PF, name: "in", body: { spec: { releaseImage: "unseen" } } }, merge);
        await waitFor("3 events", () => w.events.length === 3);
        await sleep(30);
        assert.deepEqual(w.summary(), ["ADDED in", "ADDED out", "DELETED in"]);
        w.stop();
      });
    });

    it("watches one namespace or all of them", async () => {
      await withServer(async ({ server, kc, batch }) => {
        const rv = server.resourceVersion();
        const one = await openWatch(kc, "/apis/batch/v1/namespaces/ns2/jobs", { resourceVersion: rv });
        const all = await openWatch(kc, "/apis/batch/v1/jobs", { resourceVersion: rv });
        await batch.createNamespacedJob({ namespace: "ns1", body: job("a") });
        await batch.createNamespacedJob({ namespace: "ns2", body: job("b") });
        await waitFor("events", () => all.events.length === 2 && one.events.length === 1);
        assert.deepEqual(one.summary(), ["ADDED b"]);
        one.stop();
        all.stop();
      });
    });

    it("sends BOOKMARK events when allowed, carrying the current resourceVersion", async () => {
      await withServer(async ({ server, kc }) => {
        const w = await openWatch(kc, PATH, { resourceVersion: server.resourceVersion(), allowWatchBookmarks: true });
        const quiet = await openWatch(kc, PATH, { resourceVersion: server.resourceVersion() });
        server.seed(pfvo("a"));
        await waitFor("bookmark", () => w.events.some((e) => e.type === "BOOKMARK"));
        const bm = w.events.find((e) => e.type === "BOOKMARK")!;
        assert.deepEqual(bm.object, { apiVersion: `${KMM}/v1beta2`, kind: "PreflightValidationOCP", metadata: { resourceVersion: server.resourceVersion() } });
        assert.deepEqual(quiet.summary(), ["ADDED a"]);
        w.stop();
        quiet.stop();
      }, { bookmarkIntervalMs: 20 });
    });

    it("accepts watch=1 and streams newline-delimited JSON events", async () => {
      await withServer(async ({ server }) => {
        const ac = new AbortController();
        const res = await fetch(`${server.url}${PATH}?watch=1&resourceVersion=${server.resourceVersion()}`, { signal: ac.signal });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("content-type"), "application/json");
        const reader = res.body!.getReader();
        server.seed(pfvo("a"));
        const { value } = await reader.read();
        const text = new TextDecoder().decode(value);
        assert.match(text, /\n$/);
        const event = JSON.parse(text) as WatchEvent;
        assert.equal(event.type, "ADDED");
        assert.equal(event.object["metadata"].name, "a");
        ac.abort();
        await reader.cancel().catch(() => {});
        await waitFor("watch closed", () => server.openWatches() === 0);
      });
    });

    it("ends the stream after timeoutSeconds", async () => {
      await withServer(async ({ server, kc }) => {
        const started = Date.now();
        const w = await openWatch(kc, PATH, { resourceVersion: server.resourceVersion(), timeoutSeconds: 1 });
        await waitFor("end", () => w.ended !== undefined, 3000);
        assert.equal(w.ended?.err, null);
        assert.ok(Date.now() - started >= 950);
        assert.equal(server.openWatches(), 0);
      });
    });

    it("feeds client-node's makeInformer, which relists after a 410", async () => {
      await withServer(async ({ server, kc, custom }) => {
        server.seed(pfvo("a"));
        const informer = makeInformer<KubernetesObject>(kc, PATH, () => custom.listClusterCustomObject(PF));
        const seen: string[] = [];
        informer.on("add", (o) => seen.push(`add ${o.metadata?.name}`));
        informer.on("update", (o) => seen.push(`update ${o.metadata?.name}`));
        informer.on("delete", (o) => seen.push(`delete ${o.metadata?.name}`));
        await informer.start();
        try {
          await waitFor("watching", () => server.openWatches() === 1);
          await custom.createClusterCustomObject({ ...PF, body: pfvo("b") });
          await custom.patchClusterCustomObject({ ...PF, name: "a", body: { spec: { releaseImage: "r2" } } }, merge);
          await custom.deleteClusterCustomObject({ ...PF, name: "b" });
          await waitFor("events", () => seen.length === 4);
          assert.deepEqual(seen, ["add a", "add b", "update a", "delete b"]);

          server.faults.dropWatches();
          server.remove(PF_REF, "a");
          server.seed(pfvo("c"));
          server.compact();
          await waitFor("relist", () => informer.list().map((o) => o.metadata?.name).join() === "c");
          assert.deepEqual(seen.slice(4), ["delete a", "add c"]);
          assert.equal(server.requests.filter((r) => r.method === "GET" && !r.watch).length, 2);
        } finally {
          await informer.stop();
        }
      });
    });
  });

  describe("faults", () => {
    it("delay() holds every request", async () => {
      await withServer(async ({ server, core }) => {
        server.faults.delay(100);
        const t = Date.now();
        await core.listNamespace();
        assert.ok(Date.now() - t >= 95);
        server.faults.delay(0);
      });
    });

    it("failNext() fails the next matching requests with a Status of the given code", async () => {
      await withServer(async ({ server, batch, core }) => {
        server.faults.failNext(2, 503);
        for (let i = 0; i < 2; i++) {
          const s = await statusOf(core.listNamespace());
          assert.equal(s["code"], 503);
          assert.equal(s["reason"], "ServiceUnavailable");
        }
        await core.listNamespace();
        server.faults.failNext(1, 500, { match: { method: "POST", path: /\/jobs$/ } });
        await core.listNamespace();
        const s = await statusOf(batch.createNamespacedJob({ namespace: "default", body: job("j") }));
        assert.deepEqual(s, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: "Internal error occurred: injected fault", reason: "InternalError", details: {}, code: 500 });
        await batch.createNamespacedJob({ namespace: "default", body: job("j") });
      });
    });

    it("failNext() on a watch answers the error instead of a stream", async () => {
      await withServer(async ({ server, kc }) => {
        server.faults.failNext(1, 410, { match: { watch: true } });
        const w = await openWatch(kc, "/apis/batch/v1/jobs", { resourceVersion: server.resourceVersion() });
        await waitFor("end", () => w.ended !== undefined);
        assert.equal((w.ended?.err as { statusCode?: number }).statusCode, 410);
      });
    });

    it("hang() leaves requests unanswered until clear()", async () => {
      await withServer(async ({ server, core }) => {
        server.faults.hang();
        let answered = false;
        const p = core.listNamespace().then(() => {
          answered = true;
        });
        await sleep(100);
        assert.equal(answered, false);
        assert.equal(server.requests.length, 1);
        server.faults.clear();
        await p;
        assert.equal(answered, true);
      });
    });

    it("dropWatches() ends open watches, cleanly or abruptly", async () => {
      await withServer(async ({ server, kc }) => {
        const clean = await openWatch(kc, "/apis/batch/v1/jobs", { resourceVersion: server.resourceVersion() });
        await waitFor("open", () => server.openWatches() === 1);
        server.faults.dropWatches();
        await waitFor("clean end", () => clean.ended !== undefined);
        assert.equal(clean.ended?.err, null);

        const abrupt = await openWatch(kc, "/apis/batch/v1/jobs", { resourceVersion: server.resourceVersion() });
        await waitFor("open", () => server.openWatches() === 1);
        server.faults.dropWatches({ abrupt: true });
        await waitFor("abrupt end", () => abrupt.ended !== undefined);
        assert.ok(abrupt.ended?.err instanceof Error);
      });
    });

    it("refuseConnections() makes the server unreachable until clear()", async () => {
      await withServer(async ({ server, core }) => {
        server.faults.refuseConnections();
        await assert.rejects(core.listNamespace(), (e: Error) => e.name === "FetchError");
        server.faults.clear();
        const nss = await core.listNamespace();
        assert.deepEqual(nss.items.map((n) => n.metadata?.name), ["default", "kube-node-lease", "kube-public", "kube-system"]);
      });
    });
  });

  describe("requests", () => {
    it("records method, path, query, content type and body", async () => {
      await withServer(async ({ server, kc, batch }) => {
        await batch.listNamespacedJob({ namespace: "ns1", labelSelector: "a=b" });
        await kc.makeApiClient(CoordinationV1Api).createNamespacedLease({ namespace: "ns1", body: { metadata: { name: "l" }, spec: { holderIdentity: "me" } } });
        assert.deepEqual(server.requests.map((r) => ({ ...r })), [
          { method: "GET", path: "/apis/batch/v1/namespaces/ns1/jobs", query: { labelSelector: "a=b" }, watch: false },
          { method: "POST", path: "/apis/coordination.k8s.io/v1/namespaces/ns1/leases", query: {}, watch: false, contentType: "application/json",
            body: { metadata: { name: "l" }, spec: { holderIdentity: "me" } } },
        ]);
        server.clearRequests();
        assert.equal(server.requests.length, 0);
      });
    });
  });

  describe("server-side helpers", () => {
    it("seed() keeps a given status and creationTimestamp; get() and objects() return copies", async () => {
      await withServer(async ({ server }) => {
        const [s] = server.seed({ ...pfvo("p", { status: { modules: [] } }), metadata: { name: "p", creationTimestamp: "2020-01-01T00:00:00Z" } });
        assert.equal(s?.metadata?.creationTimestamp, "2020-01-01T00:00:00Z");
        assert.deepEqual(s?.["status"], { modules: [] });
        const got = server.get(PF_REF, "p")!;
        got.metadata!.name = "changed";
        assert.equal(server.objects({ apiVersion: `${KMM}/v1beta2`, kind: "PreflightValidationOCP" })[0]?.metadata?.name, "p");
        assert.throws(() => server.seed(pfvo("p")), /already exists/);
      });
    });

    it("modify() writes like a controller, and remove() honours finalizers", async () => {
      await withServer(async ({ server, kc }) => {
        server.seed({ apiVersion: "batch/v1", kind: "Job", ...job("j", { finalizers: ["x/y"] }) } as sut.KubeObject);
        const w = await openWatch(kc, "/apis/batch/v1/jobs", { resourceVersion: server.resourceVersion() });
        const done = server.modify("jobs.batch", "j", "default", (o) => {
          o["status"] = { succeeded: 1 };
        });
        assert.deepEqual(done["status"], { succeeded: 1 });
        assert.equal(server.remove("jobs.batch", "j", "default"), true);
        assert.ok(server.get("jobs.batch", "j", "default")?.metadata?.deletionTimestamp);
        server.modify("jobs.batch", "j", "default", (o) => {
          o.metadata!.finalizers = [];
        });
        assert.equal(server.get("jobs.batch", "j", "default"), undefined);
        assert.equal(server.remove("jobs.batch", "j", "default"), false);
        await waitFor("events", () => w.events.length === 3);
        assert.deepEqual(w.summary(), ["MODIFIED j", "MODIFIED j", "DELETED j"]);
        w.stop();
      });
    });
  });

  describe("close()", () => {
    it("ends open watches and hung requests", async () => {
      const server = await sut.startKubeApiServer();
      const kc = server.kubeConfig();
      const w = await openWatch(kc, "/apis/batch/v1/jobs");
      server.faults.hang();
      const hung = kc.makeApiClient(CoreV1Api).listNamespace().then(() => "answered", () => "failed");
      await waitFor("hung request received", () => server.requests.length === 2);
      await server.close();
      assert.equal(await hung, "failed");
      await waitFor("watch ended", () => w.ended !== undefined);
    });
  });
});

describe("applyMergePatch()", () => {
  it("follows RFC 7386", () => {
    assert.deepEqual(sut.applyMergePatch({ a: "b", c: { d: "e", f: "g" } }, { a: "z", c: { f: null } }), { a: "z", c: { d: "e" } });
    assert.deepEqual(sut.applyMergePatch({ a: [1, 2] }, { a: [3] }), { a: [3] });
    assert.deepEqual(sut.applyMergePatch({ a: 1 }, ["x"]), ["x"]);
  });
});

describe("applyJsonPatch()", () => {
  describe("given a path with escaped characters", () => {
    it("decodes ~1 and ~0", () => {
      assert.deepEqual(sut.applyJsonPatch({ m: {} }, [{ op: "add", path: "/m/a~1b~0c", value: 1 }]), { m: { "a/b~c": 1 } });
    });
  });
  describe("given an operation on a missing path", () => {
    it("throws", () => {
      assert.throws(() => sut.applyJsonPatch({}, [{ op: "replace", path: "/a", value: 1 }]), /missing path/);
      assert.throws(() => sut.applyJsonPatch({}, [{ op: "add", path: "/a/b", value: 1 }]), /missing path/);
    });
  });
});

describe("parseLabelSelector()", () => {
  it("supports Gt and Lt on integer values", () => {
    assert.equal(sut.parseLabelSelector("n>2")({ n: "3" }), true);
    assert.equal(sut.parseLabelSelector("n<2")({ n: "3" }), false);
  });
});

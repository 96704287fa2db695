import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import request from "supertest";
import type { AdmissionRecord } from "../src/admission/http.js";
import { moduleRoutes } from "../src/admission/module-routes.js";
import { PREFLIGHT_CHECKS_SKIPPED } from "../src/admission/module-webhook.js";
import type { AdmissionRequest, AdmissionReview } from "../src/admission/review-types.js";
import { moduleWith, validModule } from "../src/admission/test-modules.js";
import { type Module, type PreflightValidationOCP, VALIDATE_MODULE_ENFORCE_PATH, VALIDATE_MODULE_PATH } from "../src/api/index.js";
import { createLogger } from "../src/log/logger.js";
import { createApp } from "../src/server/app.js";
import { type ClusterUnderTest, startClusterUnderTest } from "./support/cluster-server.js";
import { httpsRequest } from "./support/https-client.js";
import type { KubeApiServer, KubeObject } from "./support/kube-api-server.js";
import { RELEASE_DIGEST, reviewOf } from "./support/reviews.js";
import { eventually } from "./support/wait.js";

// Module policy over HTTP: the express app in-process (supertest), then the real HTTPS server with the
// real client-node watching the test API server, where the runner's status.kernelVersion appears.

const EL9_4 = "5.14.0-427.26.1.el9_4.x86_64";
const KM = "spec.moduleLoader.container.kernelMappings";

/** An AdmissionReview as the API server sends it for a Module in namespace drivers. */
const moduleReview = (object: unknown, over: Partial<AdmissionRequest> = {}): AdmissionReview =>
  reviewOf({
    kind: { group: "kmm.sigs.x-k8s.io", version: "v1beta1", kind: "Module" },
    resource: { group: "kmm.sigs.x-k8s.io", version: "v1beta1", resource: "modules" },
    namespace: "drivers",
    name: (object as Module | undefined)?.metadata?.name,
    object,
    ...over,
  });

const pfvo = (name: string, kernel?: string): PreflightValidationOCP =>
  ({
    apiVersion: "kmm.sigs.x-k8s.io/v1beta2",
    kind: "PreflightValidationOCP",
    metadata: { name },
    spec: { releaseImage: RELEASE_DIGEST, pushBuiltImage: false, useRTKernel: false },
    ...(kernel && { status: { kernelVersion: kernel } }),
  }) as PreflightValidationOCP;

/** Knows el9_2 kernels only. */
const el92Only = () => moduleWith((m) => m.spec.moduleLoader.container.kernelMappings.splice(1));

interface Answer {
  uid: string;
  allowed: boolean;
  warnings?: string[];
  status?: { code: number; reason: string; message: string; details: { causes: { field: string; reason: string }[] } };
}

describe("Module policy through the express app", () => {
  function appUnderTest(preflights: readonly PreflightValidationOCP[] | undefined) {
    const stream = new PassThrough();
    const logs: Record<string, unknown>[] = [];
    stream.on("data", (b: Buffer) => b.toString().split("\n").filter(Boolean).forEach((l) => logs.push(JSON.parse(l))));
    const records: AdmissionRecord[] = [];
    const app = createApp({ routes: moduleRoutes({ list: () => preflights }), log: createLogger({ stream, level: "info" }), readiness: [], onAdmission: (r) => records.push(r) });
    return { app, logs, records };
  }
  const post = async (app: ReturnType<typeof appUnderTest>["app"], path: string, review: AdmissionReview): Promise<Answer> =>
    (await request(app).post(path).send(review).expect(200)).body.response;

  it("denies a broken Module with 422, a cause per field, echoing the uid", async () => {
    const { app, records } = appUnderTest([]);
    const review = moduleReview(
      moduleWith((m) => {
        m.spec.moduleLoader.container.kernelMappings[0].regexp = "^5(?=\\.)";
        m.spec.moduleLoader.container.kernelMappings[1].containerImage = "registry:5000/img";
        m.spec.tolerations = [{ operator: "Maybe" }];
      }),
    );
    const r = await post(app, VALIDATE_MODULE_PATH, review);
    assert.equal(r.uid, review.request!.uid);
    assert.equal(r.allowed, false);
    assert.equal(r.status!.code, 422);
    assert.match(r.status!.message, /^Module\.kmm\.sigs\.x-k8s\.io "my-driver" is invalid: \[/);
    assert.deepEqual(r.status!.details.causes.map((c) => [c.reason, c.field]), [
      ["FieldValueInvalid", "spec.tolerations[0].operator"],
      ["FieldValueNotSupported", "spec.tolerations[0].operator"],
      ["FieldValueForbidden", `${KM}[0].literal`],
      ["FieldValueInvalid", `${KM}[0].regexp`],
      ["FieldValueInvalid", `${KM}[1].containerImage`],
    ]);
    assert.deepEqual(records.map((x) => [x.webhook, x.decision]), [["validate-module", "denied"]]);
  });

  it("admits a Module that fails a cached kernel with a warning, and denies it on the enforce path", async () => {
    const { app, records } = appUnderTest([pfvo("upgrade", EL9_4)]);
    const warned = await post(app, VALIDATE_MODULE_PATH, moduleReview(el92Only()));
    assert.equal(warned.allowed, true);
    assert.match(warned.warnings!.join("\n"), /will fail preflight .*\(PreflightValidationOCP upgrade\): no kernelMappings entry matches kernel 5\.14\.0-427/);
    const denied = await post(app, VALIDATE_MODULE_ENFORCE_PATH, moduleReview(el92Only()));
    assert.equal(denied.allowed, false);
    assert.deepEqual(denied.status!.details.causes.map((c) => [c.reason, c.field]), [["FieldValueRequired", KM]]);
    assert.deepEqual(records.map((x) => [x.webhook, x.decision]), [["validate-module", "allowed"], ["validate-module-enforce", "denied"]]);
  });

  it("admits on the enforce path while the cache has not synced, saying the checks were skipped", async () => {
    const { app } = appUnderTest(undefined);
    const r = await post(app, VALIDATE_MODULE_ENFORCE_PATH, moduleReview(el92Only()));
    assert.deepEqual([r.allowed, r.warnings], [true, [PREFLIGHT_CHECKS_SKIPPED]]);
  });

  it("skips the status subresource and other kinds, and allows DELETE", async () => {
    const { app, logs } = appUnderTest([pfvo("upgrade", EL9_4)]);
    const status = await post(app, VALIDATE_MODULE_ENFORCE_PATH, moduleReview(el92Only(), { subResource: "status", operation: "UPDATE", oldObject: validModule() }));
    const other = await post(app, VALIDATE_MODULE_PATH, moduleReview({ metadata: { name: "x" } }, { kind: { group: "", version: "v1", kind: "ConfigMap" } }));
    const deleted = await post(app, VALIDATE_MODULE_ENFORCE_PATH, moduleReview(undefined, { operation: "DELETE", oldObject: el92Only() }));
    assert.deepEqual([status.allowed, other.allowed, deleted.allowed], [true, true, true]);
    assert.deepEqual(logs.filter((l) => l["msg"] === "admission").map((l) => l["decision"]), ["skipped", "skipped", "allowed"]);
  });
});

describe("Module policy on the HTTPS server with a cluster configured", () => {
  let cluster: ClusterUnderTest | undefined;
  let api: KubeApiServer;

  const validate = async (p: string, m: Module): Promise<Answer> => {
    const res = await httpsRequest(cluster!.server.port, { ca: cluster!.ca, path: p, body: moduleReview(m) });
    assert.equal(res.status, 200);
    return JSON.parse(res.body).response as Answer;
  };

  before(async () => {
    cluster = await startClusterUnderTest([pfvo("upgrade-4-16", EL9_4), pfvo("not-read-yet")] as unknown as KubeObject[]);
    api = cluster.api;
  });
  after(() => cluster?.close());

  it("warns from the kernel a cached PreflightValidationOCP's status names", async () => {
    const r = await eventually(() => validate(VALIDATE_MODULE_PATH, el92Only()), (a) => (a.warnings ?? []).length > 0, "the preflight warning");
    assert.equal(r.allowed, true);
    assert.equal(r.warnings!.length, 1, "the PreflightValidationOCP without a kernel says nothing");
    assert.match(r.warnings![0]!, /\(PreflightValidationOCP upgrade-4-16\): no kernelMappings entry matches kernel 5\.14\.0-427\.26\.1\.el9_4\.x86_64$/);
  });

  it("denies on the enforce path, and admits a Module mapped for that kernel", async () => {
    const denied = await validate(VALIDATE_MODULE_ENFORCE_PATH, el92Only());
    assert.equal(denied.allowed, false);
    assert.match(denied.status!.message, /kernelMappings: Required value: an entry matching kernel 5\.14\.0-427/);
    const admitted = await validate(VALIDATE_MODULE_ENFORCE_PATH, validModule());
    assert.deepEqual([admitted.allowed, admitted.warnings ?? []], [true, []]);
  });

  it("sees a kernel the runner writes later, through the watch", async () => {
    const rt = "5.14.0-427.26.1.el9_4.x86_64+rt";
    api.modify("preflightvalidationsocp.kmm.sigs.x-k8s.io", "not-read-yet", undefined, (o) => void ((o as { status?: unknown }).status = { kernelVersion: rt }));
    const r = await eventually(() => validate(VALIDATE_MODULE_PATH, validModule()), (a) => (a.warnings ?? []).length > 0, "the watch event");
    assert.match(r.warnings!.join("\n"), /\(PreflightValidationOCP not-read-yet\): no kernelMappings entry matches kernel 5\.14\.0-427\.26\.1\.el9_4\.x86_64\+rt/);
  });

  it("answers from the cache while the API server hangs", async () => {
    api.faults.hang();
    api.faults.dropWatches();
    try {
      const started = Date.now();
      const r = await validate(VALIDATE_MODULE_ENFORCE_PATH, el92Only());
      assert.equal(r.allowed, false, "the cached kernel still decides");
      assert.ok(Date.now() - started < 3000, "within the webhook's 3 s timeout");
    } finally {
      api.faults.clear();
    }
  });
});

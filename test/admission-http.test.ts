import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { PassThrough } from "node:stream";
import request from "supertest";
import { preflightRoutes } from "../src/admission/preflight-routes.js";
import { MUTATE_PREFLIGHT_PATH, VALIDATE_PREFLIGHT_PATH } from "../src/api/index.js";
import { createLogger } from "../src/log/logger.js";
import { createApp } from "../src/server/app.js";
import type { AdmissionRecord } from "../src/admission/http.js";
import { decodePatch, preflight, RELEASE_DIGEST, reviewOf } from "./support/reviews.js";

function appUnderTest(opts: { others?: () => ReturnType<typeof preflight>[] | undefined; bodyLimitBytes?: number } = {}) {
  const stream = new PassThrough();
  const logs: Record<string, unknown>[] = [];
  stream.on("data", (b: Buffer) => b.toString().split("\n").filter(Boolean).forEach((l) => logs.push(JSON.parse(l))));
  const records: AdmissionRecord[] = [];
  const app = createApp({
    routes: preflightRoutes(opts.others ? { list: opts.others } : undefined),
    log: createLogger({ stream, level: "debug" }),
    readiness: [],
    bodyLimitBytes: opts.bodyLimitBytes,
    onAdmission: (r) => records.push(r),
  });
  return { app, logs, records };
}

describe("mutating webhook", () => {
  it("answers with a base64 JSONPatch that adds only the missing defaults, echoing the uid", async () => {
    const { app } = appUnderTest();
    const review = reviewOf({ object: preflight("p1") });
    const res = await request(app).post(MUTATE_PREFLIGHT_PATH).send(review).expect(200).expect("content-type", /json/);
    assert.equal(res.body.apiVersion, "admission.k8s.io/v1");
    assert.equal(res.body.kind, "AdmissionReview");
    assert.equal(res.body.response.uid, review.request!.uid);
    assert.equal(res.body.response.allowed, true);
    assert.equal(res.body.response.patchType, "JSONPatch");
    assert.deepEqual(
      decodePatch(res.body.response.patch).sort((a, b) => a.path.localeCompare(b.path)),
      [
        { op: "add", path: "/spec/pushBuiltImage", value: false },
        { op: "add", path: "/spec/useRTKernel", value: false },
      ],
    );
  });

  it("sends no patch for an already defaulted object", async () => {
    const { app } = appUnderTest();
    const review = reviewOf({ object: preflight("p1", { releaseImage: RELEASE_DIGEST, pushBuiltImage: true, useRTKernel: false }) });
    const res = await request(app).post(MUTATE_PREFLIGHT_PATH).send(review).expect(200);
    assert.equal(res.body.response.allowed, true);
    assert.equal(res.body.response.patch, undefined);
    assert.equal(res.body.response.patchType, undefined);
  });

  it("allows another kind unchanged and logs why", async () => {
    const { app, logs } = appUnderTest();
    const review = reviewOf({ object: { kind: "Module", metadata: { name: "m" }, spec: {} }, kind: { group: "kmm.sigs.x-k8s.io", version: "v1beta1", kind: "Module" } });
    const res = await request(app).post(MUTATE_PREFLIGHT_PATH).send(review).expect(200);
    assert.deepEqual(res.body.response, { uid: review.request!.uid, allowed: true });
    const line = logs.find((l) => l["uid"] === review.request!.uid);
    assert.equal(line?.["decision"], "skipped");
    assert.match(String(line?.["reason"]), /Kind=Module is not handled/);
  });
});

describe("validating webhook", () => {
  it("denies an invalid object with 422, every field path in the message and causes, inside an HTTP 200", async () => {
    const { app } = appUnderTest();
    const review = reviewOf({ object: preflight("p1", { releaseImage: "Quay.io/OCP Release", pushBuiltImage: "yes", extra: 1 }) });
    const res = await request(app).post(VALIDATE_PREFLIGHT_PATH).send(review).expect(200);
    const r = res.body.response;
    assert.equal(r.uid, review.request!.uid);
    assert.equal(r.allowed, false);
    assert.equal(r.status.code, 422);
    assert.equal(r.status.reason, "Invalid");
    for (const f of ["spec.releaseImage", "spec.pushBuiltImage", "spec.extra"]) assert.match(r.status.message, new RegExp(f.replace(".", "\\.")));
    assert.deepEqual([...new Set(r.status.details.causes.map((c: { field: string }) => c.field))].sort(), ["spec.extra", "spec.pushBuiltImage", "spec.releaseImage"]);
  });

  it("reports a missing releaseImage as the API server would word it", async () => {
    const { app } = appUnderTest();
    const res = await request(app).post(VALIDATE_PREFLIGHT_PATH).send(reviewOf({ object: preflight("p1", {}) })).expect(200);
    assert.match(res.body.response.status.message, /^PreflightValidationOCP\.kmm\.sigs\.x-k8s\.io "p1" is invalid: spec\.releaseImage: Required value/);
  });

  it("allows a valid object and warns when the release image is a tag", async () => {
    const { app } = appUnderTest();
    const res = await request(app)
      .post(VALIDATE_PREFLIGHT_PATH)
      .send(reviewOf({ object: preflight("p1", { releaseImage: "quay.io/openshift-release-dev/ocp-release:4.16.3-x86_64" }) }))
      .expect(200);
    assert.equal(res.body.response.allowed, true);
    assert.equal(res.body.response.warnings.length, 1);
    assert.match(res.body.response.warnings[0], /^spec\.releaseImage: .*digest/);
  });

  it("warns about another PreflightValidationOCP targeting the same release when the cluster's objects are known", async () => {
    const { app } = appUnderTest({ others: () => [preflight("existing")] });
    const res = await request(app).post(VALIDATE_PREFLIGHT_PATH).send(reviewOf({ object: preflight("new") })).expect(200);
    assert.equal(res.body.response.allowed, true);
    assert.match(res.body.response.warnings.join("\n"), /"existing" already validates/);
  });

  it("answers (allowed, without that warning) when the cluster lookup behind it fails, never 500 (ADR 3)", async () => {
    const { app, records } = appUnderTest({
      others: () => {
        throw new Error("cache broken");
      },
    });
    const res = await request(app).post(VALIDATE_PREFLIGHT_PATH).send(reviewOf({ object: preflight("new") })).expect(200);
    assert.equal(res.body.response.allowed, true);
    assert.doesNotMatch(JSON.stringify(res.body.response.warnings ?? []), /already validates/);
    assert.equal(records.at(-1)?.decision, "allowed");
  });

  it("denies changing the release image on UPDATE and tells the user to create a new resource", async () => {
    const { app } = appUnderTest();
    const review = reviewOf({
      operation: "UPDATE",
      object: preflight("p1", { releaseImage: `${RELEASE_DIGEST.split("@")[0]}:4.17.0`, pushBuiltImage: false, useRTKernel: false }),
      oldObject: preflight("p1", { releaseImage: RELEASE_DIGEST, pushBuiltImage: false, useRTKernel: false }),
    });
    const res = await request(app).post(VALIDATE_PREFLIGHT_PATH).send(review).expect(200);
    assert.equal(res.body.response.allowed, false);
    assert.match(res.body.response.status.message, /spec\.releaseImage: Invalid value: .*immutable.*create a new PreflightValidationOCP/);
  });

  it("answers a dry run exactly like a real request", async () => {
    const { app } = appUnderTest();
    const object = preflight("p1", { releaseImage: "" });
    const real = await request(app).post(VALIDATE_PREFLIGHT_PATH).send(reviewOf({ uid: "same", object })).expect(200);
    const dry = await request(app).post(VALIDATE_PREFLIGHT_PATH).send(reviewOf({ uid: "same", object, dryRun: true })).expect(200);
    assert.deepEqual(dry.body, real.body);
  });

  it("logs one JSON line per request with uid, kind, name, operation, decision and duration", async () => {
    const { app, logs, records } = appUnderTest();
    const review = reviewOf({ object: preflight("p1", {}) });
    await request(app).post(VALIDATE_PREFLIGHT_PATH).send(review).expect(200);
    const line = logs.find((l) => l["uid"] === review.request!.uid);
    assert.ok(line, "no log line with the uid");
    assert.equal(line["msg"], "admission");
    assert.equal(line["component"], "admission");
    assert.match(String(line["denial"]), /spec\.releaseImage: Required value/);
    assert.equal(line["kind"], "PreflightValidationOCP");
    assert.equal(line["name"], "p1");
    assert.equal(line["operation"], "CREATE");
    assert.equal(line["decision"], "denied");
    assert.equal(typeof line["duration"], "number");
    assert.deepEqual(records.map((r) => [r.webhook, r.operation, r.decision]), [["validate-preflightvalidationocp", "CREATE", "denied"]]);
  });
});

describe("malformed requests", () => {
  const paths = [MUTATE_PREFLIGHT_PATH, VALIDATE_PREFLIGHT_PATH];

  for (const path of paths) {
    describe(`on ${path}`, () => {
      it("answers malformed JSON with 400 and a review saying so, then keeps serving", async () => {
        const { app } = appUnderTest();
        const res = await request(app).post(path).set("content-type", "application/json").send('{"apiVersion": "admission.k8s.io/v1", ').expect(400);
        assert.equal(res.body.kind, "AdmissionReview");
        assert.equal(res.body.response.allowed, false);
        assert.equal(res.body.response.status.code, 400);
        assert.match(res.body.response.status.message, /not valid JSON/);
        await request(app).post(path).send(reviewOf({ object: preflight("p1") })).expect(200);
      });

      it("answers a wrong content type with 400", async () => {
        const { app } = appUnderTest();
        const res = await request(app).post(path).set("content-type", "text/plain").send("hello").expect(400);
        assert.match(res.body.response.status.message, /Content-Type must be application\/json/);
      });

      it("answers a body over the limit with 400", async () => {
        const { app } = appUnderTest({ bodyLimitBytes: 1024 });
        const big = reviewOf({ object: preflight("p1", { releaseImage: RELEASE_DIGEST, pad: "x".repeat(4096) }) });
        const res = await request(app).post(path).send(big).expect(400);
        assert.match(res.body.response.status.message, /exceeds the limit of 1024 bytes/);
      });

      it("answers a v1beta1 AdmissionReview with 400, echoing the uid and naming the fix", async () => {
        const { app } = appUnderTest();
        const review = { ...reviewOf({ object: preflight("p1") }), apiVersion: "admission.k8s.io/v1beta1" };
        const res = await request(app).post(path).send(review).expect(400);
        assert.equal(res.body.response.uid, review.request!.uid);
        assert.match(res.body.response.status.message, /admissionReviewVersions/);
      });

      it("answers JSON that is not an AdmissionReview with 400", async () => {
        const { app } = appUnderTest();
        for (const body of [[1, 2], { kind: "Pod" }, { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" }]) {
          const res = await request(app).post(path).send(body).expect(400);
          assert.equal(res.body.response.allowed, false);
        }
      });

      it("answers a request with no object with 400, echoing the uid", async () => {
        const { app } = appUnderTest();
        const review = reviewOf({});
        const res = await request(app).post(path).send(review).expect(400);
        assert.equal(res.body.response.uid, review.request!.uid);
        assert.match(res.body.response.status.message, /request\.object is required/);
      });
    });
  }

  it("answers a chunked body (no Content-Length) that grows over the limit with 400, and keeps serving", async () => {
    const { app } = appUnderTest({ bodyLimitBytes: 1024 });
    const server = http.createServer(app).listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const { port } = server.address() as AddressInfo;
      const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port, method: "POST", path: VALIDATE_PREFLIGHT_PATH, headers: { "content-type": "application/json" } }, (r) => {
          let body = "";
          r.on("data", (c) => (body += c));
          r.on("end", () => resolve({ status: r.statusCode ?? 0, body }));
        });
        req.on("error", reject);
        for (let i = 0; i < 8; i++) req.write("x".repeat(512));
        req.end();
      });
      assert.equal(res.status, 400);
      assert.match(JSON.parse(res.body).response.status.message, /exceeds the limit of 1024 bytes/);
      await request(server).post(VALIDATE_PREFLIGHT_PATH).send(reviewOf({ object: preflight("p1") })).expect(200);
    } finally {
      server.close();
    }
  });

  it("answers unknown paths with 404 JSON", async () => {
    const { app } = appUnderTest();
    await request(app).post("/validate-something-else").send({}).expect(404);
  });
});

describe("hostile requests", () => {
  // Built as text: JSON.stringify itself would overflow the test's stack on such a value.
  const NESTED = `${"[".repeat(20_000)}"x"${"]".repeat(20_000)}`;

  it("answers a review whose name, dryRun and user are absurdly nested values, and keeps serving on the same server", async () => {
    const { app } = appUnderTest();
    const server = http.createServer(app).listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const review = reviewOf({ object: preflight("p1", { releaseImage: "@NESTED@" }), userInfo: { username: "@NESTED@" } });
      const body = JSON.stringify(review).replaceAll('"@NESTED@"', NESTED);
      const res = await request(server).post(VALIDATE_PREFLIGHT_PATH).set("content-type", "application/json").send(body).expect(200);
      assert.equal(res.body.response.uid, review.request!.uid);
      assert.equal(res.body.response.allowed, false);
      assert.equal(res.body.response.status.code, 422);
      assert.match(res.body.response.status.message, /spec\.releaseImage: Invalid value: \[…\]: must be a string/);
      // request.name and request.dryRun are read by the handlers: of another type, the review is malformed.
      const malformed = reviewOf({ object: preflight("p1"), name: "@NESTED@", dryRun: "@NESTED@" as never });
      const bad = await request(server).post(VALIDATE_PREFLIGHT_PATH).set("content-type", "application/json").send(JSON.stringify(malformed).replaceAll('"@NESTED@"', NESTED)).expect(400);
      assert.equal(bad.body.response.uid, malformed.request!.uid);
      assert.match(bad.body.response.status.message, /^request\.name must be a string/);
      await request(server).post(VALIDATE_PREFLIGHT_PATH).send(reviewOf({ object: preflight("p2") })).expect(200);
    } finally {
      server.close();
    }
  });
});

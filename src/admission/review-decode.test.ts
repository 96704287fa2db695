import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as sut from "./review-decode.js";

const UID = "705ab4f5-6393-11e8-b7cc-42010a800002";
const KIND = { group: "kmm.sigs.x-k8s.io", version: "v1beta2", kind: "PreflightValidationOCP" };

function review(request: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: { uid: UID, kind: KIND, operation: "CREATE", object: { metadata: { name: "p" } }, ...request },
    ...extra,
  };
}

function rejected(body: unknown): { uid: string; message: string } {
  const d = sut.decodeAdmissionReview(body);
  assert.equal(d.ok, false, "expected the review to be rejected");
  if (d.ok) throw new Error("unreachable");
  assert.equal(typeof d.message, "string");
  assert.notEqual(d.message, "");
  return d;
}

describe("decodeAdmissionReview()", () => {
  describe("given a well-formed review", () => {
    for (const operation of ["CREATE", "UPDATE", "DELETE", "CONNECT"]) {
      it(`accepts operation ${operation} and returns the request as is`, () => {
        const body = review({ operation, dryRun: true, subResource: "status" });
        const d = sut.decodeAdmissionReview(body);
        assert.ok(d.ok);
        assert.equal(d.request, body["request"]);
        assert.equal(d.request.uid, UID);
        assert.equal(d.request.operation, operation);
        assert.deepEqual(d.request.kind, KIND);
      });
    }

    it("accepts the core group (empty string)", () => {
      assert.ok(sut.decodeAdmissionReview(review({ kind: { group: "", version: "v1", kind: "Pod" } })).ok);
    });
  });

  describe("given a body that is not an object", () => {
    for (const body of [undefined, null, "AdmissionReview", 42, true, [review()]]) {
      it(`rejects ${JSON.stringify(body)?.slice(0, 30) ?? "undefined"} with an empty uid`, () => {
        assert.equal(rejected(body).uid, "");
      });
    }
  });

  describe("given the wrong kind", () => {
    it("rejects it, echoing the uid", () => {
      assert.equal(rejected(review({}, { kind: "ConversionReview" })).uid, UID);
    });

    it("rejects a missing kind, echoing the uid", () => {
      const body = review();
      delete body["kind"];
      assert.equal(rejected(body).uid, UID);
    });
  });

  describe("given the wrong apiVersion", () => {
    for (const apiVersion of ["admission.k8s.io/v1beta1", "v1", undefined]) {
      it(`rejects ${String(apiVersion)}, echoing the uid and pointing at admissionReviewVersions`, () => {
        const d = rejected(review({}, { apiVersion }));
        assert.equal(d.uid, UID);
        assert.match(d.message, /admissionReviewVersions/);
      });
    }
  });

  describe("given no request", () => {
    for (const request of [undefined, null, "x", []]) {
      it(`rejects request ${JSON.stringify(request) ?? "undefined"}`, () => {
        const body: Record<string, unknown> = { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" };
        if (request !== undefined) body["request"] = request;
        assert.equal(rejected(body).uid, "");
      });
    }

    for (const request of ["x", [], 5]) {
      it(`says request ${JSON.stringify(request)} is there but not an object`, () => {
        assert.match(rejected({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request }).message, /^request must be an object/);
      });
    }
  });

  describe("given a request without a usable uid", () => {
    for (const uid of [undefined, "", 42, null]) {
      it(`rejects uid ${JSON.stringify(uid) ?? "undefined"}`, () => {
        assert.equal(rejected(review({ uid })).uid, "");
      });
    }
  });

  describe("given a bad operation", () => {
    for (const operation of [undefined, "create", "PATCH", "", 1]) {
      it(`rejects ${JSON.stringify(operation) ?? "undefined"}, echoing the uid`, () => {
        assert.equal(rejected(review({ operation })).uid, UID);
      });
    }
  });

  describe("given a missing or partial kind", () => {
    const cases: [string, unknown][] = [
      ["no kind", undefined],
      ["a string kind", "PreflightValidationOCP"],
      ["no group", { version: "v1beta2", kind: "PreflightValidationOCP" }],
      ["no version", { group: "kmm.sigs.x-k8s.io", kind: "PreflightValidationOCP" }],
      ["no kind name", { group: "kmm.sigs.x-k8s.io", version: "v1beta2" }],
      ["a numeric version", { group: "kmm.sigs.x-k8s.io", version: 2, kind: "PreflightValidationOCP" }],
    ];
    for (const [what, kind] of cases) {
      it(`rejects ${what}, echoing the uid`, () => {
        assert.equal(rejected(review({ kind })).uid, UID);
      });
    }
  });

  // What the handlers read besides uid, operation and kind. A subResource of another type was truthy
  // and skipped validation (the object admitted unchecked); a dryRun of "true" counted as a real create.
  describe("given an optional field of the wrong type", () => {
    const cases: [string, unknown][] = [
      ["subResource", 5],
      ["subResource", { name: "status" }],
      ["name", ["p"]],
      ["namespace", 7],
      ["dryRun", "true"],
      ["dryRun", 1],
    ];
    for (const [field, value] of cases) {
      it(`rejects ${field} ${JSON.stringify(value)}, naming request.${field} and echoing the uid`, () => {
        const d = rejected(review({ [field]: value }));
        assert.equal(d.uid, UID);
        assert.match(d.message, new RegExp(`^request\\.${field} must be a (string|boolean)`));
      });
    }

    it("accepts them absent or null, as the API server's Go types decode null", () => {
      assert.ok(sut.decodeAdmissionReview(review({ subResource: null, name: null, namespace: null, dryRun: null })).ok);
    });
  });
});

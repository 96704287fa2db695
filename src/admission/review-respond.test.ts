import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FieldPath } from "../validation/field-path.js";
import { forbidden, invalid, required } from "../validation/field-error.js";
import * as sut from "./review-respond.js";

const UID = "u-1";
const GVK = { group: "kmm.sigs.x-k8s.io", version: "v1beta2", kind: "PreflightValidationOCP" };
const ERRS = [
  required(FieldPath.root("spec", "releaseImage")),
  invalid(FieldPath.root("spec", "useRTKernel"), "true", "must be a boolean"),
  forbidden(FieldPath.root("spec", "relaseImage"), "unknown field"),
];

const decodePatch = (b64: string): unknown => JSON.parse(Buffer.from(b64, "base64").toString("utf8"));

describe("allowed()", () => {
  describe("given no warnings", () => {
    it("allows with the uid and no warnings key", () => {
      assert.deepEqual(sut.allowed(UID), { uid: UID, allowed: true });
      assert.deepEqual(sut.allowed(UID, []), { uid: UID, allowed: true });
    });
  });

  describe("given warnings", () => {
    it("carries a copy of them", () => {
      const warnings = ["a", "b"];
      const r = sut.allowed(UID, warnings);
      assert.deepEqual(r, { uid: UID, allowed: true, warnings: ["a", "b"] });
      assert.notEqual(r.warnings, warnings);
    });
  });
});

describe("denied()", () => {
  describe("given field errors", () => {
    const r = sut.denied(UID, GVK, "preflight", ERRS);

    it("denies with the uid, 422 and reason Invalid", () => {
      assert.equal(r.uid, UID);
      assert.equal(r.allowed, false);
      assert.equal(r.status?.code, 422);
      assert.equal(r.status?.reason, "Invalid");
    });

    it("prints the message the API server prints for invalid objects", () => {
      assert.equal(
        r.status?.message,
        'PreflightValidationOCP.kmm.sigs.x-k8s.io "preflight" is invalid: [spec.releaseImage: Required value, spec.useRTKernel: Invalid value: "true": must be a boolean, spec.relaseImage: Forbidden: unknown field]',
      );
    });

    it("names the object and lists one cause per error with its field", () => {
      assert.equal(r.status?.details?.name, "preflight");
      assert.equal(r.status?.details?.group, "kmm.sigs.x-k8s.io");
      assert.equal(r.status?.details?.kind, "PreflightValidationOCP");
      assert.deepEqual(
        r.status?.details?.causes?.map((c) => [c.reason, c.field]),
        [
          ["FieldValueRequired", "spec.releaseImage"],
          ["FieldValueInvalid", "spec.useRTKernel"],
          ["FieldValueForbidden", "spec.relaseImage"],
        ],
      );
    });

    it("has no patch and no warnings key", () => {
      assert.equal("patch" in r, false);
      assert.equal("warnings" in r, false);
    });
  });

  describe("given one error", () => {
    it("prints it without brackets", () => {
      assert.equal(sut.denied(UID, GVK, "p", ERRS.slice(0, 1)).status?.message, 'PreflightValidationOCP.kmm.sigs.x-k8s.io "p" is invalid: spec.releaseImage: Required value');
    });
  });

  describe("given warnings", () => {
    it("keeps them", () => {
      assert.deepEqual(sut.denied(UID, GVK, "p", ERRS, ["w"]).warnings, ["w"]);
    });
  });
  // A Module of 5000 kernel mappings sharing one bad regexp gave 10000 errors: a 4.6 MB answer no
  // one reads, built while every other review waited.
  describe("given more errors than a person reads", () => {
    const errs = Array.from({ length: 10_000 }, (_, i) => invalid(FieldPath.root("spec", "moduleLoader", "container", "kernelMappings").index(i).child("regexp"), "(", "missing closing )"));
    const r = sut.denied(UID, GVK, "gpu", errs);

    it("lists the first MAX_DENIAL_ERRORS, as message and causes, and says how many more there are", () => {
      assert.equal(r.status?.details?.causes?.length, sut.MAX_DENIAL_ERRORS);
      assert.equal(r.status?.details?.causes?.at(-1)?.field, `spec.moduleLoader.container.kernelMappings[${sut.MAX_DENIAL_ERRORS - 1}].regexp`);
      assert.match(r.status!.message, new RegExp(`kernelMappings\\[${sut.MAX_DENIAL_ERRORS - 1}\\]\\.regexp: Invalid value: "\\(": missing closing \\)\\] and ${10_000 - sut.MAX_DENIAL_ERRORS} more errors not listed$`));
      assert.ok(JSON.stringify(r).length < 50_000, `${JSON.stringify(r).length} bytes`);
    });
  });
});

describe("toValidationResponse()", () => {
  describe("given a verdict without errors", () => {
    it("allows, with its warnings", () => {
      assert.deepEqual(sut.toValidationResponse(UID, GVK, "p", { errors: [], warnings: ["w"] }), { uid: UID, allowed: true, warnings: ["w"] });
      assert.deepEqual(sut.toValidationResponse(UID, GVK, "p", { errors: [], warnings: [] }), { uid: UID, allowed: true });
    });
  });

  describe("given a verdict with errors", () => {
    it("denies with 422, every cause, and its warnings", () => {
      const r = sut.toValidationResponse(UID, GVK, "p", { errors: ERRS, warnings: ["w"] });
      assert.equal(r.allowed, false);
      assert.equal(r.status?.code, 422);
      assert.deepEqual(r.status?.details?.causes?.map((c) => c.field), ["spec.releaseImage", "spec.useRTKernel", "spec.relaseImage"]);
      assert.deepEqual(r.warnings, ["w"]);
    });
  });
});

describe("errored()", () => {
  describe("given 400", () => {
    it("answers BadRequest, echoing the uid", () => {
      assert.deepEqual(sut.errored(UID, 400, "request.object is required"), {
        uid: UID,
        allowed: false,
        status: { code: 400, reason: "BadRequest", message: "request.object is required" },
      });
    });
  });

  describe("given 500 and an Error", () => {
    it("answers InternalError with the error's message, echoing the uid", () => {
      const r = sut.errored(UID, 500, new TypeError("cannot read x of undefined"));
      assert.deepEqual(r, { uid: UID, allowed: false, status: { code: 500, reason: "InternalError", message: "cannot read x of undefined" } });
    });
  });

  describe("given a thrown non-Error", () => {
    it("stringifies it", () => {
      assert.equal(sut.errored(UID, 500, 42).status?.message, "42");
      assert.equal(sut.errored(UID, 500, undefined).status?.message, "undefined");
    });
  });

  describe("given an empty uid", () => {
    it("echoes it", () => {
      assert.equal(sut.errored("", 400, "x").uid, "");
    });
  });
});

describe("patched()", () => {
  describe("given no operations", () => {
    it("allows without a patch", () => {
      assert.deepEqual(sut.patched(UID, []), { uid: UID, allowed: true });
    });
  });

  describe("given operations", () => {
    it("allows with a base64 JSON Patch of them", () => {
      const ops = [{ op: "add", path: "/spec/pushBuiltImage", value: false }];
      const r = sut.patched(UID, ops);
      assert.equal(r.uid, UID);
      assert.equal(r.allowed, true);
      assert.equal(r.patchType, "JSONPatch");
      assert.match(r.patch!, /^[A-Za-z0-9+/]+=*$/);
      assert.deepEqual(decodePatch(r.patch!), ops);
    });

    it("encodes non-ASCII values as UTF-8", () => {
      const ops = [{ op: "add", path: "/metadata/annotations/n", value: "é✓" }];
      assert.deepEqual(decodePatch(sut.patched(UID, ops).patch!), ops);
    });
  });
});

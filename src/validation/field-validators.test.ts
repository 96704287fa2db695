import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { FieldError } from "./field-error.js";
import { FieldPath } from "./field-path.js";
import * as sut from "./field-validators.js";

const typesAndFields = (errs: readonly FieldError[]) => errs.map((e) => [e.type, e.field]);

const RELEASE = "quay.io/openshift-release-dev/ocp-release@sha256:22e149142517dfccb47be828f012659b1ccf71d26620e6f62468c264a7ce7863";
const OTHER_RELEASE = "quay.io/openshift-release-dev/ocp-release:4.16.3-x86_64";

describe("validateBoolean()", () => {
  const P = FieldPath.root("spec", "pushBuiltImage");

  describe("given a boolean or nothing", () => {
    for (const v of [true, false, undefined, null]) {
      it(`accepts ${String(v)}`, () => {
        assert.deepEqual(sut.validateBoolean(v, P), []);
      });
    }
  });

  describe("given a non-boolean", () => {
    for (const v of [1, 0, "yes", "", "True", {}, []]) {
      it(`reports Invalid for ${JSON.stringify(v)}`, () => {
        const errs = sut.validateBoolean(v, P);
        assert.deepEqual(typesAndFields(errs), [["Invalid", "spec.pushBuiltImage"]]);
        assert.deepEqual(errs[0]!.badValue, v);
      });
    }
  });

  describe('given the string "true" or "false"', () => {
    for (const v of ["true", "false"]) {
      it(`reports Invalid with a hint to drop the quotes for "${v}"`, () => {
        const errs = sut.validateBoolean(v, P);
        assert.deepEqual(typesAndFields(errs), [["Invalid", "spec.pushBuiltImage"]]);
        assert.match(errs[0]!.detail, new RegExp(`${v} without quotes`));
      });
    }

    it("gives no such hint for other strings", () => {
      assert.doesNotMatch(sut.validateBoolean("yes", P)[0]!.detail, /without quotes/);
    });
  });
});

describe("validateKnownFields()", () => {
  const P = FieldPath.root("spec");
  const KNOWN = ["releaseImage", "pushBuiltImage", "useRTKernel"] as const;

  describe("given only known fields", () => {
    it("reports nothing", () => {
      assert.deepEqual(sut.validateKnownFields({ releaseImage: "x", pushBuiltImage: true, useRTKernel: false }, KNOWN, P), []);
    });
  });

  describe("given a typo of a known field", () => {
    it("reports it as Forbidden at its own path and suggests the known field", () => {
      const errs = sut.validateKnownFields({ relaseImage: "x" }, KNOWN, P);
      assert.deepEqual(typesAndFields(errs), [["Forbidden", "spec.relaseImage"]]);
      assert.ok(errs[0]!.detail.includes('"releaseImage"'), errs[0]!.detail);
    });
  });

  describe("given an unknown field unlike any known one", () => {
    it("reports it without a suggestion", () => {
      const errs = sut.validateKnownFields({ kernelVersion: "5.14" }, KNOWN, P);
      assert.deepEqual(typesAndFields(errs), [["Forbidden", "spec.kernelVersion"]]);
      assert.doesNotMatch(errs[0]!.detail, /did you mean/);
    });
  });

  describe("given several unknown fields", () => {
    it("reports each one", () => {
      const errs = sut.validateKnownFields({ a: 1, releaseImage: "x", b: 2, pushBuildImage: true }, KNOWN, P);
      assert.deepEqual(typesAndFields(errs), [
        ["Forbidden", "spec.a"],
        ["Forbidden", "spec.b"],
        ["Forbidden", "spec.pushBuildImage"],
      ]);
    });
  });
});

describe("validateImmutable()", () => {
  const P = FieldPath.root("spec", "releaseImage");

  describe("given equal values", () => {
    it("reports nothing", () => {
      assert.deepEqual(sut.validateImmutable(RELEASE, RELEASE, P), []);
      assert.deepEqual(sut.validateImmutable(undefined, undefined, P), []);
      assert.deepEqual(sut.validateImmutable(true, true, P), []);
    });
  });

  describe("given different values", () => {
    it("reports Invalid at the path with the new value", () => {
      const errs = sut.validateImmutable(OTHER_RELEASE, RELEASE, P);
      assert.deepEqual(typesAndFields(errs), [["Invalid", "spec.releaseImage"]]);
      assert.equal(errs[0]!.badValue, OTHER_RELEASE);
    });
  });

  describe("given equal objects or lists that are not the same instance", () => {
    it("compares them deeply and reports nothing", () => {
      assert.deepEqual(sut.validateImmutable({ name: "a", items: [1, 2] }, { name: "a", items: [1, 2] }, P), []);
    });
  });

  describe("given a list item that changed", () => {
    it("reports the whole value as Invalid", () => {
      assert.deepEqual(typesAndFields(sut.validateImmutable([{ regexp: "^6" }], [{ regexp: "^5" }], P)), [["Invalid", "spec.releaseImage"]]);
    });
  });

  describe("given a hint", () => {
    it("adds it to the detail", () => {
      const [e] = sut.validateImmutable(OTHER_RELEASE, RELEASE, P, "create a new object instead");
      assert.match(e!.detail, /create a new object instead$/);
    });
  });
});

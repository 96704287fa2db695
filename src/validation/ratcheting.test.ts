import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type FieldError, invalid, required } from "./field-error.js";
import { FieldPath } from "./field-path.js";
import * as sut from "./ratcheting.js";

const typesAndFields = (errs: readonly FieldError[]) => errs.map((e) => [e.type, e.field]);

// A stand-in for the Module's rules: every kernel mapping needs a regexp anchored with '^'.
interface Mapping {
  readonly regexp?: string;
  readonly containerImage?: string;
}
type Obj = ReturnType<typeof obj>;
const obj = (...kernelMappings: Mapping[]) => ({ spec: { moduleLoader: { container: { kernelMappings } } } });
const MAPPINGS = FieldPath.root("spec", "moduleLoader", "container", "kernelMappings");
const validateObj = (o: Obj): FieldError[] =>
  o.spec.moduleLoader.container.kernelMappings.flatMap((m, i) => {
    const p = MAPPINGS.index(i).child("regexp");
    if (m.regexp === undefined) return [required(p)];
    return m.regexp.startsWith("^") ? [] : [invalid(p, m.regexp, "must start with ^")];
  });

describe("validateRatcheted()", () => {
  describe("given an old object without errors", () => {
    it("reports every error of the new one", () => {
      const errs = sut.validateRatcheted(obj({ regexp: "5.14" }, { regexp: "^6" }), obj({ regexp: "^5" }, { regexp: "^6" }), validateObj);
      assert.deepEqual(typesAndFields(errs), [["Invalid", "spec.moduleLoader.container.kernelMappings[0].regexp"]]);
    });
  });

  describe("given a list item whose invalid value is unchanged", () => {
    it("ratchets its error while another item changes", () => {
      const old = obj({ regexp: "^5" }, { regexp: "^6" }, { regexp: "legacy" });
      const updated = obj({ regexp: "^5.14" }, { regexp: "^6" }, { regexp: "legacy" });
      assert.deepEqual(sut.validateRatcheted(updated, old, validateObj), []);
    });

    it("ratchets it when a sibling field of the same item changes", () => {
      const old = obj({ regexp: "^5" }, { regexp: "legacy", containerImage: "a" });
      const updated = obj({ regexp: "^5" }, { regexp: "legacy", containerImage: "b" });
      assert.deepEqual(sut.validateRatcheted(updated, old, validateObj), []);
    });
  });

  // Each error below is new: the old object had none like it, or not with this value at this path.
  const reported: [string, Obj, Obj, [string, string]][] = [
    ["a list item whose invalid value changed to another invalid value", obj({ regexp: "^5" }, { regexp: "^6" }, { regexp: "legacy" }), obj({ regexp: "^5" }, { regexp: "^6" }, { regexp: "legacy2" }), ["Invalid", "[2].regexp"]],
    ["items that moved (compared by index), an invalid one now where a valid one was", obj({ regexp: "^5" }, { regexp: "legacy" }), obj({ regexp: "legacy" }, { regexp: "^5" }), ["Invalid", "[0].regexp"]],
    ["a new item with the same invalid value as an old one", obj({ regexp: "legacy" }), obj({ regexp: "legacy" }, { regexp: "legacy" }), ["Invalid", "[1].regexp"]],
    ["an error of another type at the same path", obj({ regexp: "legacy" }), obj({}), ["Required", "[0].regexp"]],
  ];
  for (const [what, old, updated, [type, field]] of reported) {
    describe(`given ${what}`, () => {
      it(`reports ${type} at ${MAPPINGS}${field}`, () => {
        assert.deepEqual(typesAndFields(sut.validateRatcheted(updated, old, validateObj)), [[type, `${MAPPINGS}${field}`]]);
      });
    });
  }

  describe("given a value that is absent in both objects", () => {
    it("ratchets the Required error the old object had", () => {
      assert.deepEqual(sut.validateRatcheted(obj({ containerImage: "b" }), obj({ containerImage: "a" }), validateObj), []);
    });
  });
});

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { FieldError } from "./field-error.js";
import { FieldPath } from "./field-path.js";
import * as sut from "./toleration.js";

const P = FieldPath.root("spec", "tolerations");
const typesAndFields = (errs: readonly FieldError[]) => errs.map((e) => [e.type, e.field]);

describe("validateTolerations()", () => {
  describe("given tolerations the API server accepts", () => {
    const valid: unknown[] = [
      { key: "node-role.kubernetes.io/master", operator: "Exists", effect: "NoSchedule" },
      { key: "gpu", operator: "Equal", value: "nvidia", effect: "PreferNoSchedule" },
      { key: "gpu", value: "nvidia" },
      { operator: "Exists" },
      { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
      { key: "empty-value", operator: "Equal", value: "" },
    ];
    for (const t of valid) {
      it(`accepts ${JSON.stringify(t)}`, () => assert.deepEqual(sut.validateTolerations([t], P), []));
    }
    it("accepts no tolerations at all", () => {
      assert.deepEqual(sut.validateTolerations(undefined, P), []);
      assert.deepEqual(sut.validateTolerations([], P), []);
    });
  });

  describe("given a broken toleration", () => {
    const cases: [string, unknown, [string, string][]][] = [
      ["a key that is not a qualified name", { key: "bad key", operator: "Exists" }, [["Invalid", "spec.tolerations[0].key"]]],
      ["an empty key without Exists", { value: "x" }, [["Invalid", "spec.tolerations[0].operator"]]],
      ["an empty key with Equal", { key: "", operator: "Equal" }, [["Invalid", "spec.tolerations[0].operator"]]],
      ["tolerationSeconds without NoExecute", { key: "k", operator: "Exists", effect: "NoSchedule", tolerationSeconds: 5 }, [["Invalid", "spec.tolerations[0].effect"]]],
      ["tolerationSeconds without an effect", { key: "k", operator: "Exists", tolerationSeconds: 5 }, [["Invalid", "spec.tolerations[0].effect"]]],
      ["a value with Exists", { key: "k", operator: "Exists", value: "v" }, [["Invalid", "spec.tolerations[0].value"]]],
      ["a value that is no label value", { key: "k", operator: "Equal", value: "not valid!" }, [["Invalid", "spec.tolerations[0].value"]]],
      ["an unknown operator", { key: "k", operator: "In", value: "v" }, [["NotSupported", "spec.tolerations[0].operator"]]],
      ["a lowercase operator", { key: "k", operator: "exists" }, [["NotSupported", "spec.tolerations[0].operator"]]],
      ["an unknown effect", { key: "k", operator: "Exists", effect: "NoRun" }, [["NotSupported", "spec.tolerations[0].effect"]]],
      ["a fractional tolerationSeconds", { key: "k", operator: "Exists", effect: "NoExecute", tolerationSeconds: 1.5 }, [["Invalid", "spec.tolerations[0].tolerationSeconds"]]],
      ["a key that is not a string", { key: 5, operator: "Exists" }, [["Invalid", "spec.tolerations[0].key"]]],
      ["a toleration that is not an object", "gpu", [["Invalid", "spec.tolerations[0]"]]],
    ];
    for (const [what, t, want] of cases) {
      it(`reports ${what}`, () => assert.deepEqual(typesAndFields(sut.validateTolerations([t], P)), want));
    }
  });

  describe("given several broken tolerations", () => {
    it("reports every error of every item, each at its index", () => {
      const errs = sut.validateTolerations([{ key: "ok", operator: "Exists" }, { operator: "Equal", effect: "Never" }, { key: "k", operator: "Exists", value: "v" }], P);
      assert.deepEqual(typesAndFields(errs), [
        ["Invalid", "spec.tolerations[1].operator"],
        ["NotSupported", "spec.tolerations[1].effect"],
        ["Invalid", "spec.tolerations[2].value"],
      ]);
    });
  });

  describe("given something other than a list", () => {
    it("reports Invalid at the list", () => assert.deepEqual(typesAndFields(sut.validateTolerations({ key: "k" }, P)), [["Invalid", "spec.tolerations"]]));
  });
});

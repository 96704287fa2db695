import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { moduleWith, validModule } from "./test-modules.js";
import * as sut from "./module-document.js";

const asDocument = (m: unknown) => m as Record<string, unknown>;

describe("validateModuleDocument()", () => {
  it("admits a valid Module", () => assert.deepEqual(sut.validateModuleDocument(asDocument(validModule())), { errors: [], warnings: [] }));

  it("refuses another apiVersion, as the API server would, before any rule", () => {
    const v = sut.validateModuleDocument(asDocument(moduleWith((m) => Object.assign(m, { apiVersion: "kmm.sigs.x-k8s.io/v1beta2", spec: {} }))));
    assert.deepEqual(v.errors.map((e) => [e.type, e.field]), [["NotSupported", "apiVersion"]]);
  });

  it("refuses unknown fields (strict field validation) beside the rules' errors", () => {
    const v = sut.validateModuleDocument(
      asDocument(
        moduleWith((m) => {
          m.spec.moduleLoader.inTreeModuleToRemove = "nouveau";
          m.spec.moduleLoader.container.kernelMappings[0].containerImage = "quay.io/org/img";
        }),
      ),
    );
    assert.deepEqual(v.errors.map((e) => [e.type, e.field]), [
      ["Forbidden", "spec.moduleLoader.inTreeModuleToRemove"],
      ["Invalid", "spec.moduleLoader.container.kernelMappings[0].containerImage"],
    ]);
  });

  it("passes warnings on", () => {
    const v = sut.validateModuleDocument(asDocument(moduleWith((m) => (m.spec.moduleLoader.container.inTreeModuleToRemove = "nouveau"))));
    assert.deepEqual(v.errors, []);
    assert.equal(v.warnings.length, 1);
  });
});

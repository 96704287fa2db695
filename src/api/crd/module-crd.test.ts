import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { JSONSchemaProps } from "./types.js";
import * as sut from "./module-crd.js";

const version = sut.moduleCrd.spec.versions[0]!;
const root = version.schema.openAPIV3Schema;

/** The schema node at a dotted path; `[]` steps into array items. */
function at(path: string): JSONSchemaProps {
  let node = root;
  for (const step of path.split(".")) {
    const items = step.endsWith("[]");
    const name = items ? step.slice(0, -2) : step;
    const next = node.properties?.[name];
    assert.ok(next, `${path}: no ${name}`);
    node = items ? next.items! : next;
  }
  return node;
}

describe("moduleCrd", () => {
  it("is KMM's namespaced Module v1beta1", () => {
    assert.equal(sut.moduleCrd.metadata.name, "modules.kmm.sigs.x-k8s.io");
    assert.equal(sut.moduleCrd.spec.names.kind, "Module");
    assert.equal(sut.moduleCrd.spec.scope, "Namespaced");
    assert.deepEqual(
      sut.moduleCrd.spec.versions.map((v) => [v.name, v.served, v.storage]),
      [["v1beta1", true, true]],
    );
  });

  describe("given the fields preflight reads", () => {
    it("requires selector, a map of strings", () => {
      assert.deepEqual(at("spec").required, ["selector"]);
      assert.deepEqual(at("spec.selector").additionalProperties, { type: "string" });
    });

    it("requires modprobe and at least one kernel mapping, each with the containerImage key, but not moduleName (rawArgs may replace it)", () => {
      assert.deepEqual(at("spec.moduleLoader.container").required, ["modprobe", "kernelMappings"]);
      assert.equal(at("spec.moduleLoader.container.modprobe").required, undefined);
      assert.equal(at("spec.moduleLoader.container.kernelMappings").minItems, 1);
      assert.deepEqual(at("spec.moduleLoader.container.kernelMappings[]").required, ["containerImage"]);
    });

    it("defaults dirName to /opt, like KMM", () => {
      assert.equal(at("spec.moduleLoader.container.modprobe.dirName").default, "/opt");
    });

    it("models every kernel mapping field", () => {
      assert.deepEqual(
        Object.keys(at("spec.moduleLoader.container.kernelMappings[]").properties!).sort(),
        ["build", "containerImage", "inTreeModuleToRemove", "inTreeModulesToRemove", "literal", "regexp", "registryTLS", "sign"],
      );
    });
  });

  describe("given the fields Module policy reads", () => {
    it("models tolerations field by field", () => {
      assert.deepEqual(Object.keys(at("spec.tolerations[]").properties!).sort(), ["effect", "key", "operator", "tolerationSeconds", "value"]);
    });

    it("keeps devicePlugin and dra apart, as upstream's CEL rule does", () => {
      assert.deepEqual(at("spec")["x-kubernetes-validations"]?.map((r) => r.rule), ["!(has(self.dra) && has(self.devicePlugin))"]);
      assert.deepEqual(at("spec.dra").required, ["container", "driverName"]);
      assert.deepEqual(at("spec.devicePlugin.container").required, ["image"]);
    });
  });

  describe("given fields KMM has and preflight does not model", () => {
    for (const path of [
      "spec",
      "spec.moduleLoader",
      "spec.moduleLoader.container",
      "spec.moduleLoader.container.modprobe",
      "spec.moduleLoader.container.kernelMappings[]",
      "spec.moduleLoader.container.build",
      "spec.moduleLoader.container.sign",
      "spec.devicePlugin",
      "spec.devicePlugin.container",
      "spec.devicePlugin.volumes[]",
      "spec.dra",
      "status",
    ]) {
      it(`preserves unknown fields in ${path}`, () => {
        assert.equal(at(path)["x-kubernetes-preserve-unknown-fields"], true);
      });
    }
  });
});

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FieldPath } from "../validation/field-path.js";
import * as sut from "./module-images.js";

const P = FieldPath.root("spec", "moduleLoader", "container", "containerImage");

describe("containerImageVariables()", () => {
  it("gives the kernel variables and the Module's name and namespace", () => {
    const vars = sut.containerImageVariables({ name: "gpu", namespace: "drivers" });
    assert.deepEqual([vars["MOD_NAME"], vars["MOD_NAMESPACE"], vars["KERNEL_FULL_VERSION"], vars["KERNEL_XYZ"]], ["gpu", "drivers", sut.SAMPLE_KERNEL, "5.14.0"]);
  });
  it("stands in for a namespace not known yet, and for a generated name", () => {
    const vars = sut.containerImageVariables({ generateName: "gpu-" });
    assert.equal(vars["MOD_NAMESPACE"], "default");
    assert.match(vars["MOD_NAME"]!, /^gpu-[a-z0-9]{5}$/);
  });
});

describe("validateImageTemplate()", () => {
  const vars = sut.containerImageVariables({ name: "gpu", namespace: "drivers" });
  for (const image of ["quay.io/org/gpu:${KERNEL_FULL_VERSION}", "registry:5000/org/${MOD_NAME}:v1-${KERNEL_X}.${KERNEL_Y}", `quay.io/org/gpu@sha256:${"b".repeat(64)}`, "gpu:1"]) {
    it(`accepts ${image}`, () => assert.deepEqual(sut.validateImageTemplate(image, vars, P), []));
  }
  const bad: [string, unknown, RegExp][] = [
    ["no tag", "registry:5000/img", /names no tag or digest/],
    ["a tag from an unknown variable", "quay.io/org/gpu:${KERNEL}", /unknown variable KERNEL/],
    ["an invalid reference after substitution", "quay.io/org/${MOD_NAME}:${KERNEL_FULL_VERSION}+x", /^gives "quay\.io\/org\/gpu:5\.14\.0-427\.26\.1\.el9_4\.x86_64\+x" for kernel/],
    ["a number", 5, /must be a string/],
  ];
  for (const [what, image, detail] of bad) {
    it(`reports ${what} as Invalid with the template as value`, () => {
      const errs = sut.validateImageTemplate(image, vars, P);
      assert.deepEqual(errs.map((e) => [e.type, e.field, e.badValue]), [["Invalid", `${P}`, image]]);
      assert.match(errs[0]!.detail, detail);
    });
  }
  it("knows only the kernel variables when given those", () => {
    assert.equal(sut.validateImageTemplate("quay.io/org/${MOD_NAME}:1", sut.KERNEL_ONLY_VARIABLES, P).length, 1);
  });
});

describe("validatePullPolicy()", () => {
  for (const v of ["Always", "IfNotPresent", "Never", "", undefined]) it(`accepts ${JSON.stringify(v)}`, () => assert.deepEqual(sut.validatePullPolicy(v, P), []));
  for (const v of ["always", "Sometimes", 1]) it(`reports ${JSON.stringify(v)} as NotSupported`, () => assert.deepEqual(sut.validatePullPolicy(v, P).map((e) => e.type), ["NotSupported"]));
});

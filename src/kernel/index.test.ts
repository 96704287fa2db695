import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as sut from "./index.js";

describe("index", () => {
  describe("given the public API", () => {
    it("re-exports every function", () => {
      for (const name of [
        "normalizeKernel",
        "kernelFields",
        "kernelVariables",
        "substituteVariables",
        "selectKernelMapping",
        "validateKernelRegexp",
        "overrideBuildArgs",
        "buildArgsFor",
        "mergeBuild",
        "mergeSign",
        "resolveModuleTarget",
        "driverToolkitImageFromImageReferences",
        "kernelFromDriverToolkitRelease",
      ] as const) {
        assert.equal(typeof sut[name], "function", name);
      }
    });
  });
});

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { moduleWith, validModule } from "./test-modules.js";
import * as sut from "./module-warnings.js";

describe("moduleWarnings()", () => {
  it("has nothing to say of a current Module", () => assert.deepEqual(sut.moduleWarnings(validModule()), []));

  it("names each use of the deprecated inTreeModuleToRemove, with what to write instead", () => {
    const w = sut.moduleWarnings(
      moduleWith((m) => {
        m.spec.moduleLoader.container.inTreeModuleToRemove = "nouveau";
        m.spec.moduleLoader.container.kernelMappings[1].inTreeModuleToRemove = "i915";
      }),
    );
    assert.equal(w.length, 2);
    assert.match(w[0]!, /^spec\.moduleLoader\.container\.inTreeModuleToRemove is deprecated: write inTreeModulesToRemove: \["nouveau"\]$/);
    assert.match(w[1]!, /^spec\.moduleLoader\.container\.kernelMappings\[1\]\.inTreeModuleToRemove is deprecated/);
  });

  it("reads a Module of any shape", () => {
    assert.deepEqual(sut.moduleWarnings(moduleWith((m) => (m.spec.moduleLoader.container.kernelMappings = "x"))), []);
    assert.deepEqual(sut.moduleWarnings(null as never), []);
  });
});

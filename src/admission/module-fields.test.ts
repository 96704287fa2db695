import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { moduleWith, validModule } from "./test-modules.js";
import * as sut from "./module-fields.js";

describe("unknownModuleFields()", () => {
  describe("given a Module with every field KMM defines", () => {
    it("finds nothing", () => {
      const m = moduleWith((m) => {
        Object.assign(m.spec, {
          imageRepoSecret: { name: "pull" },
          tolerations: [{ key: "k", operator: "Exists", effect: "NoExecute", tolerationSeconds: 1, value: "" }],
          imageRebuildTriggerGeneration: 1,
          devicePlugin: { container: { image: "quay.io/x:1", env: [{ name: "A", value: "1" }] }, volumes: [{ name: "v", hostPath: { path: "/dev" } }] },
        });
        Object.assign(m.spec.moduleLoader, { serviceAccountName: "sa" });
        Object.assign(m.spec.moduleLoader.container, {
          imagePullPolicy: "Always",
          version: "1",
          inTreeModulesToRemove: ["a"],
          registryTLS: { insecure: false, insecureSkipTLSVerify: false },
          build: { dockerfileConfigMap: { name: "d" }, buildArgs: [{ name: "A", value: "1" }], secrets: [{ name: "s" }], baseImageRegistryTLS: {}, kanikoParams: { tag: "t" }, selector: {} },
          sign: { unsignedImage: "x", unsignedImageRegistryTLS: {}, keySecret: { name: "k" }, certSecret: { name: "c" }, filesToSign: [] },
        });
        Object.assign(m.spec.moduleLoader.container.modprobe, { dirName: "/opt", parameters: [], firmwarePath: "/f", modulesLoadingOrder: [], args: { load: [], unload: [] }, rawArgs: {} });
        Object.assign(m.spec.moduleLoader.container.kernelMappings[0], { registryTLS: {}, inTreeModuleToRemove: "b", build: {}, sign: {} });
        m.status = { moduleLoader: {} };
      });
      assert.deepEqual(sut.unknownModuleFields(m), []);
    });
  });

  describe("given fields at the wrong level", () => {
    const cases: [string, (m: any) => void, string, RegExp][] = [
      ["inTreeModuleToRemove under moduleLoader", (m) => (m.spec.moduleLoader.inTreeModuleToRemove = "x"), "spec.moduleLoader.inTreeModuleToRemove", /belongs under spec\.moduleLoader\.container or spec\.moduleLoader\.container\.kernelMappings\[\*\]/],
      ["kernelMappings under moduleLoader", (m) => (m.spec.moduleLoader.kernelMappings = []), "spec.moduleLoader.kernelMappings", /belongs under spec\.moduleLoader\.container$/],
      ["dockerfileConfigMap on a mapping", (m) => (m.spec.moduleLoader.container.kernelMappings[1].dockerfileConfigMap = { name: "d" }), "spec.moduleLoader.container.kernelMappings[1].dockerfileConfigMap", /belongs under .*\.build/],
      ["selector under spec.moduleLoader.container", (m) => (m.spec.moduleLoader.container.selector = {}), "spec.moduleLoader.container.selector", /belongs under spec or .*build/],
    ];
    for (const [what, change, field, detail] of cases) {
      it(`names ${what} and where it belongs`, () => {
        const errs = sut.unknownModuleFields(moduleWith(change));
        assert.deepEqual(errs.map((e) => [e.type, e.field]), [["Forbidden", field]]);
        assert.match(errs[0]!.detail, detail);
      });
    }
  });

  describe("given a typo", () => {
    it("suggests the field meant", () => {
      const errs = sut.unknownModuleFields(moduleWith((m) => (m.spec.moduleLoader.container.kernelMappings[0].containerImgae = "x")));
      assert.deepEqual(errs.map((e) => [e.type, e.field]), [["Forbidden", "spec.moduleLoader.container.kernelMappings[0].containerImgae"]]);
      assert.match(errs[0]!.detail, /did you mean "containerImage"/);
    });
  });

  describe("given fields inside the core/v1 types a device plugin embeds", () => {
    it("leaves them to the API server", () => {
      assert.deepEqual(sut.unknownModuleFields(moduleWith((m) => (m.spec.devicePlugin = { container: { image: "x:1", securityContext: {} } }))), []);
    });
  });

  it("reads anything without throwing", () => {
    for (const o of [null, 5, [], { spec: [] }, { spec: { moduleLoader: { container: { kernelMappings: "x" } } } }]) assert.doesNotThrow(() => sut.unknownModuleFields(o));
    assert.deepEqual(sut.unknownModuleFields(validModule()), []);
  });
});
